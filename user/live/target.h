/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The traced process: an existing one (-p) or a command started held before
 * exec (--), so probes are in place before its main runs.
 */
#ifndef SPANTRACE_TARGET_H
#define SPANTRACE_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "procmaps.h"
#include "resolve.h"
#include "sigstate.h"

/* Where object i is opened from, and what it must be: see target__open_objects. */
struct target_file {
	char *src;		/* -p: /proc/PID/map_files/START-END; --: the path */
	bool mapped;		/* -p: src is a magic link; id is what maps says the file is */
	struct maps_file_id id;
	int fd;			/* open on the verified file, or -1 */
};

struct target {
	pid_t pid;
	int pidfd;	   /* readable once the process has exited */
	bool launched;	   /* we forked it: reap it */
	bool released;	   /* launched, and exec succeeded: the command runs */
	bool ended;	   /* launched and reaped: wstatus is its wait(2) status */
	int wstatus;
	int go_fd;	   /* launched: write end that releases the exec */
	int exec_err_fd;   /* launched: read end, receives errno if exec fails */
	char *exe;	   /* main executable, as maps, the command or FILE names it; NULL if unknown */
	char main_why[256]; /* -p: why no object is the main executable, if none is */
	const char *name;  /* launched: the command as the user wrote it (argv[0]), or FILE */
	char comm[32];
	struct target_obj *objs;
	struct target_file *files; /* objs[i] is read and probed through files[i] */
	size_t nobjs;
};

/* 0 if this process may load BPF and open uprobes; else -1 with the reason in err. */
int target__check_caps(char *err, size_t errlen);
/*
 * Opens an existing process and lists its mapped ELF objects; its main
 * executable is the object whose file is /proc/PID/exe.
 */
int target__attach_pid(struct target *t, pid_t pid, char *err, size_t errlen);
/*
 * Opens the objects the SPECs name, each once, so that each one's open_path
 * reaches the very file the process maps (or, for a command, the file found
 * at its path): -p reads /proc/PID/map_files (or /proc/PID/exe), whatever the
 * target's root or mount namespace and even if the file was deleted, and
 * checks it is the file its maps line names; nothing that is not a regular
 * file is ever opened. Objects no SPEC names are not opened. verbose: say
 * where each is read from. 0, or -1 with a one-line error.
 */
int target__open_objects(struct target *t, const struct spec *specs, size_t nspecs, bool verbose,
			 char *err, size_t errlen);
/* Opens object i as target__open_objects does, if it is not open yet. */
int target__open_object(struct target *t, size_t i, bool verbose, char *err, size_t errlen);
/*
 * The objects of cmd, not started: the executable found as execvp would
 * find it and, if want_libs, the libraries its dynamic loader will map (as
 * `ld.so --list` resolves them: the loader the executable names is run
 * with --list, as ldd does; the program's own code is not).
 */
int target__resolve_command(struct target *t, char **cmd, bool want_libs, char *err,
			    size_t errlen);
/*
 * A file as the main executable, not started (--list FILE), with the
 * libraries its dynamic loader lists for it (for a shared library, the
 * system's loader: spantrace's own); a loader that is not a system file
 * (owned by root, writable by no one else) is not run: an error.
 */
int target__file(struct target *t, const char *path, char *err, size_t errlen);
/*
 * Forks cmd, held before exec, its objects found by target__resolve_command.
 * It execs with the signal state start, the one spantrace was started with.
 */
int target__launch(struct target *t, char **cmd, bool want_libs, const struct sigstate *start,
		   char *err, size_t errlen);
/* Lets a launched command exec. Returns 0, or -1 with err if exec failed. */
int target__release(struct target *t, char *err, size_t errlen);
/*
 * true once the process has exited (all its threads); a launched one is
 * reaped then, its status in ended/wstatus.
 */
bool target__exited(struct target *t);
/* Sends sig to a launched command still running. 0, or -errno. */
int target__signal(struct target *t, int sig);
/*
 * Ends a launched command that never ran (it exits 127 without exec), closes
 * fds, frees memory. Never waits for a command that runs: wait for it first.
 */
void target__close(struct target *t);

#endif
