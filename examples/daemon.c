/*
 * A network daemon in miniature, each thread under its own syscall policy.
 *
 * "init" sets the sandbox up, restricts itself to what it and its threads
 * need, then starts the threads; each names itself and narrows its policy
 * further. With --violate, "msghand" makes a syscall nothing allows; with
 * --leak, it loses a block of memory, for a leak checker to find.
 *
 * Under valgrind, which cannot run seccomp filters, it goes on without the
 * sandbox, so that valgrind can still check its memory.
 *
 *   build/examples/daemon [--mode log-and-abort|abort] [--violate] [--leak]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cibox/sandbox.h>

static bool violate, leak, sandboxed = true;
/* volatile: the compiler may not drop the allocation it is given. */
static void *volatile lost;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready = PTHREAD_COND_INITIALIZER;
static bool installed;

static void restrict_self(const char *name, const char *policy)
{
	pthread_setname_np(pthread_self(), name);
	cibox_error err;
	if (sandboxed && cibox_sandbox_restrict_to(policy, &err) < 0) {
		fprintf(stderr, "daemon: %s: %s\n", name, err.message);
		exit(1);
	}
}

/* Lets init start the next thread. */
static void announce(void)
{
	pthread_mutex_lock(&lock);
	installed = true;
	pthread_cond_signal(&ready);
	pthread_mutex_unlock(&lock);
}

static void *net_main(void *arg)
{
	(void)arg;
	restrict_self("net", "@default,@network");
	announce();
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 8) < 0)
		perror("net: listen");
	close(fd);
	return NULL;
}

static void *msghand_main(void *arg)
{
	(void)arg;
	restrict_self("msghand", "@default");
	if (violate)
		cibox_sandbox_test_violation();
	if (leak) {
		lost = malloc(64);
		lost = NULL;
	}
	announce();
	return NULL;
}

static void *scheduler_main(void *arg)
{
	(void)arg;
	restrict_self("scheduler", "@default,@time");
	announce();
	struct timespec tick = { 0, 1000000 };
	nanosleep(&tick, NULL);
	return NULL;
}

/* Threads start one at a time so that their log lines come in a fixed order. */
static pthread_t start(void *(*fn)(void *))
{
	pthread_t thread;
	pthread_mutex_lock(&lock);
	installed = false;
	if (pthread_create(&thread, NULL, fn, NULL) != 0) {
		fprintf(stderr, "daemon: cannot start a thread\n");
		exit(1);
	}
	while (!installed)
		pthread_cond_wait(&ready, &lock);
	pthread_mutex_unlock(&lock);
	return thread;
}

int main(int argc, char **argv)
{
	enum cibox_mode mode = CIBOX_MODE_LOG_AND_ABORT;
	cibox_error err;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--violate") == 0) {
			violate = true;
		} else if (strcmp(argv[i], "--leak") == 0) {
			leak = true;
		} else if (strcmp(argv[i], "--mode") == 0 && i + 1 < argc) {
			if (cibox_mode_parse(argv[++i], &mode, &err) < 0) {
				fprintf(stderr, "daemon: %s\n", err.message);
				return 2;
			}
		} else {
			fprintf(stderr,
				"usage: daemon [--mode log-and-abort|abort] [--violate] [--leak]\n");
			return 2;
		}
	}
	int rc = cibox_sandbox_setup(mode, &err);
	if (rc == -EOPNOTSUPP) {
		/* valgrind: its checks instead of the sandbox's. */
		fprintf(stderr, "daemon: %s; going on without the sandbox\n", err.message);
		sandboxed = false;
	} else if (rc < 0) {
		fprintf(stderr, "daemon: %s\n", err.message);
		return 3;
	}
	pthread_setname_np(pthread_self(), "init");
	if (sandboxed && cibox_sandbox_restrict_to("@default,@thread,@network,@time", &err) < 0) {
		fprintf(stderr, "daemon: %s\n", err.message);
		return 1;
	}
	pthread_t threads[] = { start(net_main), start(msghand_main), start(scheduler_main) };
	for (size_t i = 0; i < sizeof threads / sizeof threads[0]; i++)
		pthread_join(threads[i], NULL);
	printf("daemon: all threads finished\n");
	return 0;
}
