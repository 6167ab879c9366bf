#include "util/proctree.h"

#include <ctype.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct proc {
	pid_t pid;
	pid_t ppid;
	bool zombie;
};

/* /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces and ')'. */
static bool read_stat(pid_t pid, struct proc *out)
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
	int ppid;
	if (!close_paren || sscanf(close_paren + 1, " %c %d", &state, &ppid) != 2)
		return false;
	out->pid = pid;
	out->ppid = ppid;
	out->zombie = state == 'Z' || state == 'X';
	return true;
}

static size_t list_processes(struct proc **out)
{
	size_t count = 0, cap = 0;
	struct proc *procs = NULL;
	DIR *dir = opendir("/proc");
	if (!dir)
		return 0;
	struct dirent *d;
	while ((d = readdir(dir))) {
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
	closedir(dir);
	*out = procs;
	return count;
}

static bool descends_from(const struct proc *procs, size_t count, pid_t pid, pid_t ancestor)
{
	for (size_t depth = 0; depth < count && pid > 1; depth++) {
		pid_t parent = -1;
		for (size_t i = 0; i < count; i++)
			if (procs[i].pid == pid)
				parent = procs[i].ppid;
		if (parent == ancestor)
			return true;
		pid = parent;
	}
	return false;
}

/* Appends the children of every thread of `pid`, from the kernel's
 * /proc/PID/task/TID/children lists. */
static void add_children(pid_t pid, pid_t **list, size_t *count, size_t *cap)
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
		while (fscanf(f, "%d", &child) == 1) {
			if (*count == *cap) {
				size_t grown_cap = *cap ? *cap * 2 : 32;
				pid_t *grown = realloc(*list, grown_cap * sizeof *grown);
				if (!grown)
					break;
				*list = grown, *cap = grown_cap;
			}
			(*list)[(*count)++] = child;
		}
		fclose(f);
	}
	closedir(tasks);
}

static int kill_by_children(pid_t ancestor)
{
	int signalled = 0;
	for (;;) {
		pid_t *list = NULL;
		size_t count = 0, cap = 0;
		add_children(ancestor, &list, &count, &cap);
		/* The list grows as it is walked: breadth first over the tree. */
		for (size_t i = 0; i < count; i++)
			add_children(list[i], &list, &count, &cap);
		int alive = 0;
		for (size_t i = 0; i < count; i++) {
			struct proc p;
			if (!read_stat(list[i], &p) || p.zombie)
				continue;
			if (kill(list[i], SIGKILL) == 0)
				signalled++, alive++;
		}
		free(list);
		if (!alive)
			return signalled;
	}
}

/* Kills what a walk of every process in /proc finds. */
static int kill_by_scan(pid_t ancestor)
{
	int signalled = 0;
	for (;;) {
		struct proc *procs = NULL;
		size_t count = list_processes(&procs);
		int alive = 0;
		for (size_t i = 0; i < count; i++) {
			if (procs[i].zombie || !descends_from(procs, count, procs[i].pid, ancestor))
				continue;
			if (kill(procs[i].pid, SIGKILL) == 0)
				signalled++, alive++;
		}
		free(procs);
		if (!alive)
			return signalled;
	}
}

int proctree_kill_descendants(pid_t ancestor)
{
	/* Reading the few descendants' lists is much cheaper than reading the
	 * status of every process on the machine, which only kernels without
	 * CONFIG_PROC_CHILDREN need. */
	if (access("/proc/thread-self/children", F_OK) == 0)
		return kill_by_children(ancestor);
	return kill_by_scan(ancestor);
}
