#include "util/proctree.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct proc {
	pid_t pid;
	pid_t ppid;
	bool zombie;
	bool exiting; /* PF_EXITING: it never runs its own code again */
};

/* /proc/PID/stat: "pid (comm) state ppid pgrp ..."; comm may hold spaces and ')'. */
static bool read_stat_group(pid_t pid, struct proc *out, pid_t *pgrp)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *close_paren = strrchr(buf, ')');
	char state;
	int ppid, group;
	unsigned flags = 0;
	int fields = close_paren ? sscanf(close_paren + 1, " %c %d %d %*d %*d %*d %u", &state,
					  &ppid, &group, &flags)
				 : 0;
	if (fields < 3)
		return false;
	out->pid = pid;
	out->ppid = ppid;
	out->zombie = state == 'Z' || state == 'X';
	out->exiting = fields == 4 && (flags & 0x4);
	if (pgrp)
		*pgrp = group;
	return true;
}

static bool read_stat(pid_t pid, struct proc *out)
{
	return read_stat_group(pid, out, NULL);
}

int proctree_descends(pid_t ancestor, pid_t pid)
{
	struct proc p;
	if (!read_stat(pid, &p))
		return -1;
	/* The depth is bounded by the number of pids, in case the chain
	 * changes under the walk into a loop. */
	for (int depth = 0; depth < 1 << 22; depth++) {
		if (p.ppid == ancestor && p.pid != ancestor)
			return 1;
		if (p.ppid <= 1 || p.pid == ancestor || !read_stat(p.ppid, &p))
			return 0;
	}
	return 0;
}

pid_t proctree_group(pid_t pid)
{
	struct proc p;
	pid_t pgrp;
	return read_stat_group(pid, &p, &pgrp) ? pgrp : -1;
}

pid_t proctree_thread_group(pid_t tid)
{
	char path[64], line[128];
	snprintf(path, sizeof path, "/proc/%d/status", (int)tid);
	FILE *f = fopen(path, "re");
	int tgid = -1;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "Tgid: %d", &tgid) == 1)
			break;
	if (f)
		fclose(f);
	return tgid;
}

/* A growing list of pids; an allocation failure drops the pid, and the
 * caller's next pass finds it again. */
struct pids {
	pid_t *v;
	size_t count, cap;
};

static void pids_add(struct pids *p, pid_t pid)
{
	if (p->count == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 32;
		pid_t *grown = realloc(p->v, cap * sizeof *grown);
		if (!grown)
			return;
		p->v = grown, p->cap = cap;
	}
	p->v[p->count++] = pid;
}

/* Adds the children of every thread of `pid`, from the kernel's
 * /proc/PID/task/TID/children lists. */
static void add_children(pid_t pid, struct pids *out)
{
	char path[320];
	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	DIR *tasks = opendir(path);
	if (!tasks)
		return; /* it is gone */
	struct dirent *d;
	while ((d = readdir(tasks))) {
		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		snprintf(path, sizeof path, "/proc/%d/task/%s/children", (int)pid, d->d_name);
		FILE *f = fopen(path, "re");
		if (!f)
			continue; /* the thread is gone */
		int child;
		while (fscanf(f, "%d", &child) == 1)
			pids_add(out, child);
		fclose(f);
	}
	closedir(tasks);
}

static void descendants_by_children(pid_t ancestor, struct pids *out)
{
	add_children(ancestor, out);
	/* The list grows as it is walked: breadth first over the tree. */
	for (size_t i = 0; i < out->count; i++)
		add_children(out->v[i], out);
}

/* For kernels without CONFIG_PROC_CHILDREN: every process on the machine,
 * each followed up its parents. */
static void descendants_by_scan(pid_t ancestor, struct pids *out)
{
	struct proc *procs = NULL;
	size_t count = 0, cap = 0;
	DIR *dir = opendir("/proc");
	struct dirent *d;
	while (dir && (d = readdir(dir))) {
		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		if (count == cap) {
			cap = cap ? cap * 2 : 256;
			struct proc *grown = realloc(procs, cap * sizeof *procs);
			if (!grown)
				break;
			procs = grown;
		}
		if (read_stat((pid_t)atoi(d->d_name), &procs[count]))
			count++;
	}
	if (dir)
		closedir(dir);
	for (size_t i = 0; i < count; i++) {
		pid_t pid = procs[i].pid;
		for (size_t depth = 0; depth < count && pid > 1; depth++) {
			pid_t parent = -1;
			for (size_t j = 0; j < count; j++)
				if (procs[j].pid == pid)
					parent = procs[j].ppid;
			if (parent == ancestor) {
				pids_add(out, procs[i].pid);
				break;
			}
			pid = parent;
		}
	}
	free(procs);
}

/* Until `pid`, just sent SIGKILL, has ended, or `wait` has passed: the next
 * pass would otherwise spin on a CPU the dying processes need. */
static void wait_for_end(pid_t pid, const struct timespec *wait)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd >= 0) {
		struct pollfd end = { fd, POLLIN, 0 };
		ppoll(&end, 1, wait, NULL);
		close(fd);
	} else if (errno != ESRCH) {
		nanosleep(wait, NULL);
	}
}

int proctree_kill_descendants(pid_t ancestor)
{
	/* Reading the few descendants' lists is much cheaper than reading the
	 * status of every process on the machine. */
	bool children_lists = access("/proc/thread-self/children", F_OK) == 0;
	int signalled = 0;
	struct timespec wait = { 0, 100 * 1000 };
	for (;;) {
		struct pids found = { 0 };
		if (children_lists)
			descendants_by_children(ancestor, &found);
		else
			descendants_by_scan(ancestor, &found);
		int alive = 0;
		pid_t last = 0;
		for (size_t i = 0; i < found.count; i++) {
			struct proc p;
			/* One that is exiting is as good as gone: what is left of
			 * it is the kernel's, such as a pid namespace's init
			 * tearing down its namespaces, which need not be waited
			 * for here. (The caller's own wait for its children, or
			 * their init's, covers the rest.) */
			if (!read_stat(found.v[i], &p) || p.zombie || p.exiting)
				continue;
			if (kill(found.v[i], SIGKILL) == 0)
				signalled++, alive++, last = found.v[i];
		}
		free(found.v);
		if (!alive)
			return signalled;
		/* A killed process needs a moment to start exiting; one that
		 * takes longer (a fork, an uninterruptible wait) gets longer. */
		wait_for_end(last, &wait);
		if (wait.tv_nsec < 10 * 1000 * 1000)
			wait.tv_nsec *= 2;
	}
}
