/*
 * Groups follow one rule: a group holds what a kind of work needs and nothing
 * that can leave the sandbox. Calls that change the machine or reach into
 * other processes (io_uring, ptrace, process_vm_*, bpf, perf_event_open,
 * userfaultfd, mount and namespace calls, keyctl, kexec, modules, reboot,
 * swap, seccomp) are in no group; a policy must name them one by one.
 */
#include "sandbox/syscall_table.h"

#include <asm/ioctls.h>
#include <asm/termbits.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/prctl.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <linux/sockios.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>

/* The tables are laid out by hand, their rows grouped by meaning. */
/* clang-format off */
#define ARG(n, cmp, a, b) { .arg = (n), .op = (cmp), .datum_a = (a), .datum_b = (b) }
#define ONE(n, cmp, a, b) { .count = 1, .cond = { ARG(n, cmp, a, b) } }
#define IS(n, v) ONE(n, SCMP_CMP_EQ, (v), 0)
/* The low 32 bits of argument n, where mask is set, are v's. */
#define LOW32(n, mask, v) ONE(n, SCMP_CMP_MASKED_EQ, (uint32_t)(mask), (v))
/* Bit b of argument n differs from that bit of v. */
#define NOT_BIT_OF(n, v, b) ONE(n, SCMP_CMP_MASKED_EQ, 1u << (b), ((v) & (1u << (b))) ^ (1u << (b)))

#define NAMESPACE_FLAGS                                                        \
	(CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC |          \
	 CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)
/* O_TMPFILE without O_DIRECTORY: the bit that makes an anonymous file. */
#define OPEN_WRITE_FLAGS (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | (O_TMPFILE & ~O_DIRECTORY))

/* The numbers fcntl's safe form is written around (asm-generic's; a few
 * architectures number them otherwise and would need their own ranges). */
_Static_assert(F_SETFL == 4 && F_SETOWN == 8 && F_SETSIG == 10 && F_SETOWN_EX == 15 &&
		       F_GETOWN == 9 && F_GETSIG == 11 && F_GETOWN_EX == 16 && F_DUPFD_CLOEXEC == 1030,
	       "fcntl's commands are numbered as fcntl's safe form expects");

static const struct sctab_restriction restrictions[] = {
	{ "clone", "no namespace flags", 1,
	  { ONE(0, SCMP_CMP_MASKED_EQ, NAMESPACE_FLAGS, 0) } },
	{ "socket", "families unix, inet, inet6, netlink", 4,
	  { IS(0, AF_UNIX), IS(0, AF_INET), IS(0, AF_INET6), IS(0, AF_NETLINK) } },
	{ "socketpair", "family unix", 1, { IS(0, AF_UNIX) } },
	/* Terminal queries and fd flags; never TIOCSTI, which types into the tty,
	 * nor FIOASYNC, which signals a descriptor's owner on I/O (see fcntl). */
	{ "ioctl", "terminal attributes and size, job control, FIONREAD, FIONBIO, FIOCLEX", 13,
	  { IS(1, TCGETS), IS(1, TCSETS), IS(1, TCSETSW), IS(1, TCSETSF),
	    IS(1, TIOCGWINSZ), IS(1, TIOCSWINSZ), IS(1, TIOCGPGRP), IS(1, TIOCSPGRP),
	    IS(1, TIOCOUTQ), IS(1, FIONREAD), IS(1, FIONBIO), IS(1, FIOCLEX),
	    IS(1, FIONCLEX) } },
	/* Every command but those that arrange signals: an owner (F_SETOWN,
	 * F_SETOWN_EX), its signal (F_SETSIG) and O_ASYNC, with which the kernel
	 * signals the owner, any process of the user, on I/O. An owner set
	 * outside on a descriptor the command inherits stays out of its reach
	 * too: without O_ASYNC nothing is sent. A filter cannot say "not 8",
	 * only "these bits are so", so the commands are the ranges around the
	 * refused ones, of the low 32 bits the kernel reads: 0-3 (dup, fd
	 * flags, F_GETFL), 5-7 (locks), 9, 11 (F_GETOWN, F_GETSIG), 12-14 (the
	 * 32-bit lock numbers), 16-31 (F_GETOWN_EX, F_GETOWNER_UIDS), 32-63 (open
	 * file description locks) and 1024-2047 (Linux's own: leases, notify,
	 * F_DUPFD_CLOEXEC, pipe sizes, seals, hints). Nothing else exists. */
	{ "fcntl", "no owner, no signal, no O_ASYNC", 11,
	  { LOW32(1, ~3u, 0),
	    { .count = 2, .cond = { ARG(1, SCMP_CMP_MASKED_EQ, UINT32_MAX, F_SETFL),
				    ARG(2, SCMP_CMP_MASKED_EQ, O_ASYNC, 0) } },
	    LOW32(1, UINT32_MAX, 5), LOW32(1, ~1u, 6), LOW32(1, UINT32_MAX, 9),
	    LOW32(1, UINT32_MAX, 11), LOW32(1, ~1u, 12), LOW32(1, UINT32_MAX, 14),
	    LOW32(1, ~15u, 16), LOW32(1, ~31u, 32), LOW32(1, ~1023u, 1024) } },
	{ "prctl", "thread name, dumpable, death signal, no_new_privs and read-only queries", 15,
	  { IS(0, PR_SET_NAME), IS(0, PR_GET_NAME), IS(0, PR_GET_DUMPABLE),
	    IS(0, PR_SET_DUMPABLE), IS(0, PR_SET_PDEATHSIG), IS(0, PR_GET_PDEATHSIG),
	    IS(0, PR_SET_NO_NEW_PRIVS), IS(0, PR_GET_NO_NEW_PRIVS), IS(0, PR_GET_SECCOMP),
	    IS(0, PR_CAPBSET_READ), IS(0, PR_GET_KEEPCAPS), IS(0, PR_GET_TIMERSLACK),
	    IS(0, PR_SET_TIMERSLACK), IS(0, PR_GET_CHILD_SUBREAPER),
	    IS(0, PR_SET_CHILD_SUBREAPER) } },
	/* libcibox's SIGSYS handler reports violations: every filter the library
	 * installs holds this form, whatever the policy says. The groups allow any
	 * form, because programs reset every signal before execve, SIGSYS too.
	 * The signal is an int, of which the kernel reads the low 32 bits, so
	 * "not SIGSYS" must not compare all 64: SIGSYS with an upper bit set
	 * would pass. A signal (1 to 64) is another one when one of its low six
	 * bits differs from SIGSYS's. */
	{ "rt_sigaction", "any signal but SIGSYS; SIGSYS only queried", 7,
	  { NOT_BIT_OF(0, SIGSYS, 0), NOT_BIT_OF(0, SIGSYS, 1), NOT_BIT_OF(0, SIGSYS, 2),
	    NOT_BIT_OF(0, SIGSYS, 3), NOT_BIT_OF(0, SIGSYS, 4), NOT_BIT_OF(0, SIGSYS, 5),
	    IS(1, 0) } },
	{ "open", "read-only", 1, { ONE(1, SCMP_CMP_MASKED_EQ, OPEN_WRITE_FLAGS, 0) } },
	{ "openat", "read-only", 1, { ONE(2, SCMP_CMP_MASKED_EQ, OPEN_WRITE_FLAGS, 0) } },
	/* fstat and friends as the C library makes them: on an open descriptor. */
	{ "newfstatat", "on an open descriptor (AT_EMPTY_PATH)", 1,
	  { ONE(3, SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH, AT_EMPTY_PATH) } },
	{ "statx", "on an open descriptor (AT_EMPTY_PATH)", 1,
	  { ONE(2, SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH, AT_EMPTY_PATH) } },
	{ "prlimit64", "read-only", 1, { IS(2, 0) } },
	/* A filter only ever takes abilities away; listeners and TSYNC are refused. */
	{ "seccomp", "add a filter to the calling thread; feature queries", 3,
	  { { .count = 2, .cond = { ARG(0, SCMP_CMP_EQ, SECCOMP_SET_MODE_FILTER, 0),
				    ARG(1, SCMP_CMP_EQ, 0, 0) } },
	    IS(0, SECCOMP_GET_ACTION_AVAIL), IS(0, SECCOMP_GET_NOTIF_SIZES) } },
};

/*
 * What signals another process. The supervisor judges these calls by their
 * target; the rest of fcntl stays in the kernel, in its safe form above. The
 * forms listed for fcntl are all that lie beyond it: F_SETSIG and O_ASYNC
 * only reach an owner, which the supervisor has judged when it was set.
 */
static const struct sctab_restriction signal_calls[] = {
	{ "kill", "to a process or group of the command's own", 0, { { 0 } } },
	{ "tkill", "to a thread of the command's own", 0, { { 0 } } },
	{ "tgkill", "to a thread of the command's own", 0, { { 0 } } },
	{ "rt_sigqueueinfo", "to a process of the command's own", 0, { { 0 } } },
	{ "rt_tgsigqueueinfo", "to a thread of the command's own", 0, { { 0 } } },
	{ "pidfd_send_signal", "to a process or group of the command's own", 0, { { 0 } } },
	{ "fcntl", "an owner of the command's own (F_SETOWN)", 4,
	  { LOW32(1, UINT32_MAX, F_SETOWN), LOW32(1, UINT32_MAX, F_SETOWN_EX),
	    LOW32(1, UINT32_MAX, F_SETSIG),
	    { .count = 2, .cond = { ARG(1, SCMP_CMP_MASKED_EQ, UINT32_MAX, F_SETFL),
				    ARG(2, SCMP_CMP_MASKED_EQ, O_ASYNC, O_ASYNC) } } } },
};

#define LIST(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* How LeakSanitizer reads a stopped thread's registers: x86 asks for the
 * general ones with a request of its own as well. */
#ifdef PT_GETREGS
#define SANITIZER_PTRACE_REGS "PTRACE_GETREGS, PTRACE_GETREGSET"
#else
#define SANITIZER_PTRACE_REGS "PTRACE_GETREGSET"
#endif
/* Read-only, as in @file-read. */
#ifdef __NR_open
#define SANITIZER_OPEN "open"
#define SANITIZER_GETDENTS "getdents"
#else
#define SANITIZER_OPEN "openat"
#define SANITIZER_GETDENTS "getdents64"
#endif

static const struct sctab_group groups[] = {
	{ "@default", "what every program needs: memory, I/O on open descriptors, time, futex, signal return",
	  LIST("exit", "exit_group", "rt_sigreturn", "restart_syscall",
	       "brk", "mmap", "munmap", "mprotect", "mremap", "madvise", "mincore", "msync",
	       "mlock", "munlock", "membarrier",
	       "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev",
	       "preadv2", "pwritev2", "lseek", "close", "close_range", "dup", "dup2", "dup3",
	       "fcntl", "fstat", "newfstatat", "statx", "ioctl", "sendfile",
	       "poll", "ppoll", "select", "pselect6", "epoll_create", "epoll_create1",
	       "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2", "eventfd", "eventfd2",
	       "futex", "futex_waitv", "set_robust_list", "get_robust_list", "rseq",
	       "set_tid_address", "arch_prctl", "prctl", "getrandom",
	       "clock_gettime", "clock_getres", "clock_nanosleep", "nanosleep",
	       "gettimeofday", "time", "sched_yield", "sched_getaffinity",
	       "getpid", "gettid", "getppid", "getuid", "geteuid", "getgid", "getegid",
	       "getresuid", "getresgid", "getgroups", "capget", "getrlimit", "prlimit64",
	       "rt_sigaction(*)", "rt_sigprocmask", "sigaltstack", "tgkill") },
	{ "@file-read", "look at files: open read-only, stat, list directories, read links",
	  LIST("open", "openat", "stat", "lstat", "newfstatat(*)", "statx(*)", "statfs", "fstatfs",
	       "access", "faccessat", "faccessat2", "readlink", "readlinkat",
	       "getdents", "getdents64", "getcwd", "chdir", "fchdir",
	       "getxattr", "lgetxattr", "fgetxattr", "listxattr", "llistxattr", "flistxattr",
	       "fadvise64", "readahead", "flock", "inotify_init", "inotify_init1",
	       "inotify_add_watch", "inotify_rm_watch", "fanotify_mark") },
	{ "@file-write", "change files: open for writing, create, rename, remove, chmod, sync",
	  LIST("open(*)", "openat(*)", "openat2", "creat", "mkdir", "mkdirat", "rmdir",
	       "unlink", "unlinkat", "rename", "renameat", "renameat2", "link", "linkat",
	       "symlink", "symlinkat", "chmod", "fchmod", "fchmodat", "chown", "fchown",
	       "lchown", "fchownat", "truncate", "ftruncate", "fallocate", "utime", "utimes",
	       "utimensat", "futimesat", "fsync", "fdatasync", "sync_file_range", "syncfs",
	       "setxattr", "lsetxattr", "fsetxattr", "removexattr", "lremovexattr",
	       "fremovexattr", "mknod", "mknodat", "umask", "copy_file_range", "flock") },
	{ "@network", "sockets of the unix, inet, inet6 and netlink families",
	  LIST("socket", "socketpair", "bind", "listen", "accept", "accept4", "connect",
	       "getsockname", "getpeername", "setsockopt", "getsockopt", "sendto", "recvfrom",
	       "sendmsg", "recvmsg", "sendmmsg", "recvmmsg", "shutdown") },
	{ "@process", "start programs and wait for them: fork, clone without namespaces, execve",
	  LIST("fork", "vfork", "clone", "execve", "execveat", "wait4", "waitid",
	       "setpgid", "getpgid", "getpgrp", "setsid", "getsid", "kill", "pidfd_open",
	       "getrlimit", "setrlimit", "prlimit64(*)", "getrusage", "getpriority",
	       "setpriority", "umask", "times") },
	{ "@signal", "send, wait for and handle signals",
	  LIST("rt_sigaction(*)", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending",
	       "rt_sigsuspend", "rt_sigtimedwait", "rt_sigqueueinfo", "rt_tgsigqueueinfo",
	       "sigaltstack", "signalfd", "signalfd4", "pause", "kill", "tkill", "tgkill",
	       "pidfd_send_signal", "fcntl(*)") },
	{ "@thread", "start and synchronise threads",
	  LIST("clone", "futex", "futex_waitv", "set_robust_list", "get_robust_list",
	       "set_tid_address", "rseq", "gettid", "tgkill", "sched_yield",
	       "sched_getaffinity", "sched_setaffinity", "sched_getparam", "sched_setparam",
	       "sched_getscheduler", "sched_setscheduler", "sched_get_priority_max",
	       "sched_get_priority_min", "membarrier", "mprotect", "madvise") },
	{ "@time", "clocks, sleeps and timers (not setting the system clock)",
	  LIST("clock_gettime", "clock_getres", "clock_nanosleep", "nanosleep",
	       "gettimeofday", "time", "timer_create", "timer_settime", "timer_gettime",
	       "timer_getoverrun", "timer_delete", "timerfd_create", "timerfd_settime",
	       "timerfd_gettime", "alarm", "setitimer", "getitimer", "times") },
	{ "@ipc", "pipes, shared memory, semaphores and message queues between processes",
	  LIST("pipe", "pipe2", "socketpair", "memfd_create", "splice", "tee", "vmsplice",
	       "shmget", "shmat", "shmdt", "shmctl", "semget", "semop", "semtimedop", "semctl",
	       "msgget", "msgsnd", "msgrcv", "msgctl", "mq_open", "mq_unlink", "mq_timedsend",
	       "mq_timedreceive", "mq_notify", "mq_getsetattr", "eventfd2") },
	{ "@system-info", "read-only facts about the machine and the process's limits",
	  LIST("uname", "sysinfo", "getrlimit", "prlimit64", "getrusage", "getcpu",
	       "sched_getaffinity", "getpriority", "times") },
	/* Not a kind of work but a runtime's: libcibox adds it to every thread's
	 * policy when a sanitizer runtime is loaded, and no default policy holds
	 * it. LeakSanitizer stops the world at exit: it makes itself dumpable and
	 * traceable by a task it clones (no thread, no exit signal), which lists
	 * /proc/PID/task, attaches to each thread, reads its registers and lets
	 * it go. The ptrace requests only stop, read the registers of, continue
	 * and kill a tracee: none reads or writes its memory. The runtimes open
	 * and list folders with the older calls (open, getdents) where the
	 * architecture has them, while the C library uses the *at and 64 ones:
	 * a program's own open stays refused. A report asks whether standard
	 * error is a terminal (TCGETS), for colour. */
	{ "@sanitizer", "what a sanitizer runtime needs: LeakSanitizer's stop-the-world, reports",
	  LIST("prctl(PR_GET_DUMPABLE, PR_SET_DUMPABLE, PR_SET_PTRACER, PR_SET_PDEATHSIG)",
	       "clone(CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_UNTRACED)",
	       "ptrace(PTRACE_ATTACH, " SANITIZER_PTRACE_REGS ", PTRACE_CONT, PTRACE_DETACH, "
	       "PTRACE_KILL)",
	       "wait4", "sched_yield", "getpid", "getppid", "gettid", "sigaltstack",
	       "rt_sigaction", "rt_sigprocmask", SANITIZER_OPEN, SANITIZER_GETDENTS, "read",
	       "lseek", "close", "mmap", "munmap", "mprotect", "madvise", "write", "ioctl(TCGETS)",
	       "exit", "exit_group") },
};

static const struct sctab_danger dangers[] = {
	{ "ptrace", "", "reads and writes other processes" },
	{ "process_vm_readv", "", "reads other processes' memory" },
	{ "process_vm_writev", "", "writes other processes' memory" },
	{ "io_uring_setup", "", "io_uring runs calls no filter sees" },
	{ "io_uring_enter", "", "io_uring runs calls no filter sees" },
	{ "io_uring_register", "", "io_uring runs calls no filter sees" },
	{ "bpf", "", "loads programs into the kernel" },
	{ "perf_event_open", "", "watches the kernel and other processes" },
	{ "userfaultfd", "", "stalls the kernel at will, a favourite of exploits" },
	{ "mount", "", "changes the file system tree" },
	{ "umount2", "", "changes the file system tree" },
	{ "pivot_root", "", "changes the file system tree" },
	{ "move_mount", "", "changes the file system tree" },
	{ "open_tree", "", "changes the file system tree" },
	{ "fsopen", "", "changes the file system tree" },
	{ "fsmount", "", "changes the file system tree" },
	{ "fsconfig", "", "changes the file system tree" },
	{ "fspick", "", "changes the file system tree" },
	{ "chroot", "", "changes the file system tree" },
	{ "unshare", "", "new namespaces, a way around the jail" },
	{ "setns", "", "enters other namespaces" },
	{ "clone", "(*)", "clone with namespace flags makes new namespaces" },
	{ "clone3", "", "its flags are out of the filter's sight" },
	{ "keyctl", "", "the kernel's key rings" },
	{ "add_key", "", "the kernel's key rings" },
	{ "request_key", "", "the kernel's key rings" },
	{ "kexec_load", "", "replaces the running kernel" },
	{ "kexec_file_load", "", "replaces the running kernel" },
	{ "init_module", "", "loads kernel modules" },
	{ "finit_module", "", "loads kernel modules" },
	{ "delete_module", "", "unloads kernel modules" },
	{ "reboot", "", "restarts the machine" },
	{ "swapon", "", "changes the machine's swap" },
	{ "swapoff", "", "changes the machine's swap" },
	{ "seccomp", "(*)", "installs filters that listen or act on other threads" },
	{ "personality", "", "can turn address space randomisation off" },
	{ "acct", "", "switches process accounting" },
	{ "settimeofday", "", "sets the system clock" },
	{ "clock_settime", "", "sets the system clock" },
	{ "adjtimex", "", "sets the system clock" },
	{ "clock_adjtime", "", "sets the system clock" },
	{ "open_by_handle_at", "", "opens any file by handle, around permissions" },
	{ "uselib", "", "an obsolete loader call" },
	{ "iopl", "", "hardware I/O ports" },
	{ "ioperm", "", "hardware I/O ports" },
	{ "syslog", "", "reads and clears the kernel log" },
	{ "quotactl", "", "changes disk quotas" },
	{ "vhangup", "", "hangs up the terminal" },
	{ "ioctl", "(*)", "TIOCSTI types into the terminal, among others" },
	{ "socket", "(*)", "raw and packet sockets see the machine's traffic" },
	{ "prctl", "(*)", "PR_SET_MM and others rewrite the process" },
};

#define NSCD_SOCKET_TYPE (SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK)

static const struct sctab_quiet quiet[] = {
	{ "socket", "socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, 0)", EACCES,
	  { 2, { ARG(0, SCMP_CMP_EQ, AF_UNIX, 0), ARG(1, SCMP_CMP_EQ, NSCD_SOCKET_TYPE, 0) } },
	  "glibc's probe for nscd before it reads /etc/passwd" },
};

/*
 * Names for argument values: what `cibox trace --args` writes and a policy
 * may use instead of a number. Not every constant, only those programs are
 * seen to use and those a reviewer should recognise; one name per value, so
 * that a value is always written the same way.
 */
#define SYM(c) { #c, (uint32_t)(c) }

static const struct sctab_symbol clone_flags[] = {
	SYM(CLONE_VM), SYM(CLONE_FS), SYM(CLONE_FILES), SYM(CLONE_SIGHAND), SYM(CLONE_PIDFD),
	SYM(CLONE_PTRACE), SYM(CLONE_VFORK), SYM(CLONE_PARENT), SYM(CLONE_THREAD),
	SYM(CLONE_NEWNS), SYM(CLONE_SYSVSEM), SYM(CLONE_SETTLS), SYM(CLONE_PARENT_SETTID),
	SYM(CLONE_CHILD_CLEARTID), SYM(CLONE_DETACHED), SYM(CLONE_UNTRACED),
	SYM(CLONE_CHILD_SETTID), SYM(CLONE_NEWCGROUP), SYM(CLONE_NEWUTS), SYM(CLONE_NEWIPC),
	SYM(CLONE_NEWUSER), SYM(CLONE_NEWPID), SYM(CLONE_NEWNET), SYM(CLONE_IO),
	/* The low byte is the signal the parent gets when the child ends. */
	SYM(SIGHUP), SYM(SIGINT), SYM(SIGQUIT), SYM(SIGKILL), SYM(SIGUSR1), SYM(SIGUSR2),
	SYM(SIGPIPE), SYM(SIGALRM), SYM(SIGTERM), SYM(SIGCHLD), SYM(SIGCONT), SYM(SIGSTOP),
};

static const struct sctab_symbol families[] = {
	SYM(AF_UNIX), SYM(AF_INET), SYM(AF_INET6), SYM(AF_NETLINK), SYM(AF_PACKET),
	SYM(AF_KEY), SYM(AF_BLUETOOTH), SYM(AF_ALG), SYM(AF_VSOCK), SYM(AF_XDP), SYM(AF_CAN),
	SYM(AF_TIPC),
};

static const struct sctab_symbol ioctl_requests[] = {
	SYM(TCGETS), SYM(TCSETS), SYM(TCSETSW), SYM(TCSETSF), SYM(TCGETS2), SYM(TCSETS2),
	SYM(TCSBRK), SYM(TCXONC), SYM(TCFLSH), SYM(TIOCEXCL), SYM(TIOCNXCL), SYM(TIOCSCTTY),
	SYM(TIOCGPGRP), SYM(TIOCSPGRP), SYM(TIOCOUTQ), SYM(TIOCSTI), SYM(TIOCGWINSZ),
	SYM(TIOCSWINSZ), SYM(TIOCMGET), SYM(TIOCMSET), SYM(FIONREAD), SYM(TIOCLINUX),
	SYM(TIOCCONS), SYM(FIONBIO), SYM(TIOCNOTTY), SYM(TIOCSETD), SYM(TIOCGETD),
	SYM(TIOCGSID), SYM(TIOCGPTN), SYM(TIOCSPTLCK), SYM(TIOCGPTPEER), SYM(FIONCLEX),
	SYM(FIOCLEX), SYM(FIOASYNC), SYM(FIOSETOWN), SYM(FIOGETOWN), SYM(SIOCSPGRP),
	SYM(SIOCGPGRP), SYM(FIOQSIZE), SYM(FICLONE), SYM(FICLONERANGE),
	SYM(FIDEDUPERANGE), SYM(FIGETBSZ), SYM(FIBMAP), SYM(FS_IOC_GETFLAGS),
	SYM(FS_IOC_SETFLAGS), SYM(BLKGETSIZE64), SYM(SIOCGIFCONF),
	SYM(SIOCGIFFLAGS), SYM(SIOCGIFINDEX), SYM(SIOCGIFHWADDR), SYM(SIOCGIFNAME),
	SYM(SIOCGIFMTU), SYM(SIOCGIFADDR),
};

static const struct sctab_symbol prctl_options[] = {
	SYM(PR_SET_PDEATHSIG), SYM(PR_GET_PDEATHSIG), SYM(PR_GET_DUMPABLE), SYM(PR_SET_DUMPABLE),
	SYM(PR_GET_KEEPCAPS), SYM(PR_SET_KEEPCAPS), SYM(PR_SET_NAME), SYM(PR_GET_NAME),
	SYM(PR_GET_SECCOMP), SYM(PR_SET_SECCOMP), SYM(PR_CAPBSET_READ), SYM(PR_CAPBSET_DROP),
	SYM(PR_GET_SECUREBITS), SYM(PR_SET_SECUREBITS), SYM(PR_SET_TIMERSLACK),
	SYM(PR_GET_TIMERSLACK), SYM(PR_MCE_KILL), SYM(PR_SET_MM), SYM(PR_SET_CHILD_SUBREAPER),
	SYM(PR_GET_CHILD_SUBREAPER), SYM(PR_SET_NO_NEW_PRIVS), SYM(PR_GET_NO_NEW_PRIVS),
	SYM(PR_GET_TID_ADDRESS), SYM(PR_SET_THP_DISABLE), SYM(PR_GET_THP_DISABLE),
	SYM(PR_CAP_AMBIENT), SYM(PR_GET_SPECULATION_CTRL), SYM(PR_SET_SPECULATION_CTRL),
	SYM(PR_SET_IO_FLUSHER), SYM(PR_SET_SYSCALL_USER_DISPATCH), SYM(PR_SCHED_CORE),
	SYM(PR_SET_PTRACER), SYM(PR_SET_VMA),
};

static const struct sctab_symbol ptrace_requests[] = {
	SYM(PTRACE_TRACEME), SYM(PTRACE_PEEKTEXT), SYM(PTRACE_PEEKDATA), SYM(PTRACE_PEEKUSER),
	SYM(PTRACE_POKETEXT), SYM(PTRACE_POKEDATA), SYM(PTRACE_POKEUSER), SYM(PTRACE_CONT),
	SYM(PTRACE_KILL), SYM(PTRACE_SINGLESTEP), SYM(PTRACE_ATTACH), SYM(PTRACE_DETACH),
	SYM(PTRACE_SYSCALL), SYM(PTRACE_SETOPTIONS), SYM(PTRACE_GETEVENTMSG),
	SYM(PTRACE_GETSIGINFO), SYM(PTRACE_SETSIGINFO), SYM(PTRACE_GETREGSET),
	SYM(PTRACE_SETREGSET), SYM(PTRACE_SEIZE), SYM(PTRACE_INTERRUPT), SYM(PTRACE_LISTEN),
#ifdef PT_GETREGS /* x86's own requests */
	SYM(PTRACE_GETREGS), SYM(PTRACE_SETREGS), SYM(PTRACE_GETFPREGS), SYM(PTRACE_SETFPREGS),
#endif
};

#define SYMBOLS(t) (t), sizeof (t) / sizeof (t)[0]

static const struct sctab_argument arguments[] = {
	{ "clone", 0, "flag", true, CSIGNAL, SYMBOLS(clone_flags) },
	{ "socket", 0, "family", false, 0, SYMBOLS(families) },
	{ "socketpair", 0, "family", false, 0, SYMBOLS(families) },
	{ "ioctl", 1, "request", false, 0, SYMBOLS(ioctl_requests) },
	{ "prctl", 0, "option", false, 0, SYMBOLS(prctl_options) },
	{ "ptrace", 0, "request", false, 0, SYMBOLS(ptrace_requests) },
};
/* clang-format on */
_Static_assert(sizeof arguments / sizeof arguments[0] <= SCTAB_ARGUMENT_MAX,
	       "a policy keeps room for SCTAB_ARGUMENT_MAX syscalls with values");

const struct sctab_argument *sctab_arguments(size_t *count)
{
	*count = sizeof arguments / sizeof arguments[0];
	return arguments;
}

const struct sctab_argument *sctab_argument_find(const char *syscall)
{
	for (size_t i = 0; i < sizeof arguments / sizeof arguments[0]; i++)
		if (strcmp(arguments[i].syscall, syscall) == 0)
			return &arguments[i];
	return NULL;
}

const struct sctab_quiet *sctab_quiet_find(const char *syscall)
{
	for (size_t i = 0; i < sizeof quiet / sizeof quiet[0]; i++)
		if (strcmp(quiet[i].syscall, syscall) == 0)
			return &quiet[i];
	return NULL;
}

const struct sctab_danger *sctab_dangers(size_t *count)
{
	*count = sizeof dangers / sizeof dangers[0];
	return dangers;
}

const struct sctab_group *sctab_groups(size_t *count)
{
	*count = sizeof groups / sizeof groups[0];
	return groups;
}

const struct sctab_group *sctab_group_find(const char *name)
{
	for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
		if (strcmp(groups[i].name, name) == 0)
			return &groups[i];
	return NULL;
}

const struct sctab_restriction *sctab_restriction_find(const char *syscall)
{
	for (size_t i = 0; i < sizeof restrictions / sizeof restrictions[0]; i++)
		if (strcmp(restrictions[i].syscall, syscall) == 0)
			return &restrictions[i];
	return NULL;
}

/* The tables' native numbers, looked up once: a policy holds numbers, and
 * asks for every entry it reads. */
#define COUNT(table) (sizeof table / sizeof table[0])
static int argument_nr[COUNT(arguments)];
static int restriction_nr[COUNT(restrictions)];
static int quiet_nr[COUNT(quiet)];
static int signal_call_nr[COUNT(signal_calls)];
static pthread_once_t numbers_once = PTHREAD_ONCE_INIT;

static void numbers_load(void)
{
	for (size_t i = 0; i < COUNT(arguments); i++)
		argument_nr[i] = sctab_resolve(arguments[i].syscall);
	for (size_t i = 0; i < COUNT(restrictions); i++)
		restriction_nr[i] = sctab_resolve(restrictions[i].syscall);
	for (size_t i = 0; i < COUNT(quiet); i++)
		quiet_nr[i] = sctab_resolve(quiet[i].syscall);
	for (size_t i = 0; i < COUNT(signal_calls); i++)
		signal_call_nr[i] = sctab_resolve(signal_calls[i].syscall);
}

/* The index of nr among the table's numbers, or -1. */
static long index_of(const int *numbers, size_t count, int nr)
{
	pthread_once(&numbers_once, numbers_load);
	for (size_t i = 0; nr >= 0 && i < count; i++)
		if (numbers[i] == nr)
			return (long)i;
	return -1;
}

const struct sctab_argument *sctab_argument_of(int nr)
{
	long i = index_of(argument_nr, COUNT(arguments), nr);
	return i < 0 ? NULL : &arguments[i];
}

const struct sctab_restriction *sctab_restriction_of(int nr)
{
	long i = index_of(restriction_nr, COUNT(restrictions), nr);
	return i < 0 ? NULL : &restrictions[i];
}

const struct sctab_quiet *sctab_quiet_of(int nr)
{
	long i = index_of(quiet_nr, COUNT(quiet), nr);
	return i < 0 ? NULL : &quiet[i];
}

const struct sctab_restriction *sctab_signal_call_of(int nr)
{
	long i = index_of(signal_call_nr, COUNT(signal_calls), nr);
	return i < 0 ? NULL : &signal_calls[i];
}

static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

static uint64_t hash_alternative(uint64_t h, const struct sctab_alternative *alt)
{
	for (unsigned c = 0; c < alt->count; c++) {
		const struct scmp_arg_cmp *cond = &alt->cond[c];
		uint64_t fields[4] = { cond->arg, cond->op, cond->datum_a, cond->datum_b };
		h = fnv1a(h, fields, sizeof fields);
	}
	return h;
}

uint64_t sctab_digest(void)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < sizeof restrictions / sizeof restrictions[0]; i++) {
		const struct sctab_restriction *r = &restrictions[i];
		h = fnv1a(h, r->syscall, strlen(r->syscall) + 1);
		for (unsigned a = 0; a < r->count; a++)
			h = hash_alternative(h, &r->alt[a]);
		h = fnv1a(h, "|", 1);
	}
	for (size_t i = 0; i < COUNT(signal_calls); i++) {
		const struct sctab_restriction *r = &signal_calls[i];
		h = fnv1a(h, r->syscall, strlen(r->syscall) + 1);
		for (unsigned a = 0; a < r->count; a++)
			h = hash_alternative(h, &r->alt[a]);
		h = fnv1a(h, "|", 1);
	}
	for (size_t i = 0; i < sizeof quiet / sizeof quiet[0]; i++) {
		h = fnv1a(h, quiet[i].syscall, strlen(quiet[i].syscall) + 1);
		h = fnv1a(h, &quiet[i].error, sizeof quiet[i].error);
		h = hash_alternative(h, &quiet[i].when);
	}
	for (size_t i = 0; i < sizeof arguments / sizeof arguments[0]; i++) {
		h = fnv1a(h, arguments[i].syscall, strlen(arguments[i].syscall) + 1);
		h = fnv1a(h, &arguments[i].arg, sizeof arguments[i].arg);
	}
	return h;
}

int sctab_resolve(const char *name)
{
	int nr = seccomp_syscall_resolve_name(name);
	/* Negative numbers are libseccomp's stand-ins for other architectures' calls. */
	return nr >= 0 && nr < SCTAB_NR_LIMIT ? nr : -1;
}

/* libseccomp finds a name by number with a scan of its whole table, so names
 * are looked up one at a time, when first asked for: a sandbox's start asks
 * for a few dozen. sctab_names_load fills the whole table, after which
 * lookups (also from a signal handler) never allocate. */
static _Atomic(const char *) names[SCTAB_NR_LIMIT];
static const char no_name[] = "";
static pthread_once_t names_once = PTHREAD_ONCE_INIT;

static const char *name_lookup(int nr)
{
	const char *name = atomic_load(&names[nr]);
	if (name)
		return name;
	char *found = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
	const char *expected = NULL;
	if (atomic_compare_exchange_strong(&names[nr], &expected, found ? found : no_name))
		return found ? found : no_name;
	free(found); /* another thread was first */
	return expected;
}

static void names_load(void)
{
	for (int nr = 0; nr < SCTAB_NR_LIMIT; nr++)
		name_lookup(nr);
}

void sctab_names_load(void)
{
	pthread_once(&names_once, names_load);
}

const char *sctab_name(int nr)
{
	if (nr < 0 || nr >= SCTAB_NR_LIMIT)
		return NULL;
	const char *name = name_lookup(nr);
	return name == no_name ? NULL : name;
}

/* The calls of the latest kernels, looked up by name: a few dozen scans of
 * libseccomp's table instead of one for each of SCTAB_NR_LIMIT numbers,
 * which was a third of a sandbox's start. */
static const char *const newest[] = {
	"open_tree_attr",
	"removexattrat",
	"listxattrat",
	"getxattrat",
	"setxattrat",
	"mseal",
	"lsm_list_modules",
	"lsm_set_self_attr",
	"lsm_get_self_attr",
	"listmount",
	"statmount",
	"futex_requeue",
	"futex_wait",
	"futex_wake",
	"map_shadow_stack",
	"fchmodat2",
	"cachestat",
	"set_mempolicy_home_node",
	"futex_waitv",
	"process_mrelease",
	"memfd_secret",
	"quotactl_fd",
	"landlock_restrict_self",
	"mount_setattr",
	"epoll_pwait2",
	"close_range",
};
static int newest_known = -1;
static pthread_once_t newest_once = PTHREAD_ONCE_INIT;

static void newest_load(void)
{
	for (size_t i = 0; i < COUNT(newest); i++) {
		int nr = sctab_resolve(newest[i]);
		if (nr > newest_known)
			newest_known = nr;
	}
}

int sctab_newest_known(void)
{
	pthread_once(&newest_once, newest_load);
	return newest_known;
}
