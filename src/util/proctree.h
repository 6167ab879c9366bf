/*
 * Process trees: who descends from whom, and ending a tree. A supervisor that
 * has made itself a child subreaper (PR_SET_CHILD_SUBREAPER) keeps every
 * process its children start, however they daemonise, among its descendants;
 * this walks /proc for them.
 */
#ifndef CIBOX_UTIL_PROCTREE_H
#define CIBOX_UTIL_PROCTREE_H

#include <signal.h>
#include <sys/types.h>

/* Sends SIGKILL to every descendant of `ancestor`, again and again until a
 * pass finds none left alive (a process can fork until its SIGKILL lands).
 * Returns the number of processes signalled. */
int proctree_kill_descendants(pid_t ancestor);

/* 1 when process (or thread) `pid` descends from `ancestor`, 0 when it does
 * not (the ancestor itself does not), -1 when there is no such process. */
int proctree_descends(pid_t ancestor, pid_t pid);
/* The process group of `pid`, or -1 when there is no such process. */
pid_t proctree_group(pid_t pid);
/* The process (thread group) thread `tid` belongs to, or -1. */
pid_t proctree_thread_group(pid_t tid);

#endif
