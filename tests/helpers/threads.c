/*
 * A program whose threads do different work, for per-thread policies:
 * "net" opens a socket, "disk" makes and removes a folder under DIR. With
 * --swap, "disk" also opens a socket, the call only "net" should make.
 *
 *   threads DIR [--swap]
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *dir;
static int swap;

static void open_socket(void)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd >= 0)
		close(fd);
}

static void *net(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "net");
	open_socket();
	return NULL;
}

static void *disk(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "disk");
	char path[4096];
	snprintf(path, sizeof path, "%s/made-by-disk", dir);
	if (mkdir(path, 0755) == 0)
		rmdir(path);
	if (swap)
		open_socket();
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: threads DIR [--swap]\n");
		return 2;
	}
	dir = argv[1];
	swap = argc > 2 && strcmp(argv[2], "--swap") == 0;
	pthread_t a, b;
	/* One after the other, so that every run makes the same calls. */
	pthread_create(&a, NULL, net, NULL);
	pthread_join(a, NULL);
	pthread_create(&b, NULL, disk, NULL);
	pthread_join(b, NULL);
	puts("threads done");
	return 0;
}
