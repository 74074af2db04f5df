// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gelf.h>
#include <libelf.h>
#include <linux/capability.h>

#include "errbuf.h"
#include "fate.h"
#include "objfile.h"
#include "procmaps.h"
#include "target.h"
#include "util.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

int target__check_caps(char *err, size_t errlen)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};
	__u64 eff;

	if (syscall(SYS_capget, &hdr, data)) {
		errbuf__set(err, errlen, "failed to read capabilities: %s", strerror(errno));
		return -1;
	}
	eff = data[0].effective | ((__u64)data[1].effective << 32);
	if (eff & (1ull << CAP_SYS_ADMIN))
		return 0;
	if ((eff & (1ull << CAP_BPF)) && (eff & (1ull << CAP_PERFMON)))
		return 0;
	errbuf__set(err, errlen,
		    "need root or CAP_BPF and CAP_PERFMON to load BPF programs and uprobes; "
		    "run it with sudo");
	return -1;
}

static int pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static void read_comm(pid_t pid, pid_t tid, char *buf, size_t len)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", pid, tid);
	util__read_line(path, buf, len);
}

/* Appends an object, not opened yet; it owns src. */
static int push_obj(struct target *t, const char *path, bool deleted, char *src, bool mapped,
		    const struct maps_file_id *id)
{
	struct target_obj *v;
	struct target_file *f;
	char *p = strdup(path);

	v = realloc(t->objs, (t->nobjs + 1) * sizeof(*v));
	if (v)
		t->objs = v;
	f = realloc(t->files, (t->nobjs + 1) * sizeof(*f));
	if (f)
		t->files = f;
	if (!p || !src || !v || !f) {
		free(p);
		free(src);
		return -ENOMEM;
	}
	v[t->nobjs] = (struct target_obj){ .path = p, .deleted = deleted };
	f[t->nobjs] = (struct target_file){ .src = src, .mapped = mapped, .fd = -1 };
	if (id)
		f[t->nobjs].id = *id;
	t->nobjs++;
	return 0;
}

/* An object of a command not started yet, by the path it will be mapped from. */
static int add_obj(struct target *t, const char *path, bool is_main)
{
	for (size_t i = 0; i < t->nobjs; i++)
		if (strcmp(t->objs[i].path, path) == 0)
			return 0;
	if (push_obj(t, path, false, strdup(path), false, NULL))
		return -ENOMEM;
	t->objs[t->nobjs - 1].is_main = is_main;
	return 0;
}

/* /proc/PID/maps will show the resolved file: name what ld.so lists the same way. */
static int add_real_obj(struct target *t, const char *path)
{
	char *real = realpath(path, NULL);
	int r = add_obj(t, real ? real : path, false);

	free(real);
	return r;
}

static void target_init(struct target *t)
{
	memset(t, 0, sizeof(*t));
	t->pidfd = t->go_fd = t->exec_err_fd = -1;
}

static int add_mapped_objs(struct target *t, const struct mapped_objs *m)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct mapped_obj *o = &m->v[i];
		char *src;

		if (asprintf(&src, "/proc/%d/map_files/%llx-%llx", t->pid,
			     (unsigned long long)o->start, (unsigned long long)o->end) < 0)
			src = NULL;
		if (push_obj(t, o->path, o->deleted, src, true, &o->id))
			return -ENOMEM;
	}
	return 0;
}

static bool is_kernel_thread(pid_t pid)
{
	unsigned long flags;
	char path[64], *text;
	bool kthread;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (procfs__read(path, &text))
		return false;
	kthread = procstat__flags(text, &flags) == 0 && (flags & PROCSTAT_PF_KTHREAD);
	free(text);
	return kthread;
}

/*
 * The main executable is the object whose file is /proc/PID/exe, compared as
 * maps names them (never by path: a deleted file or another mount namespace
 * keeps its path). It is then read through /proc/PID/exe, which needs no more
 * privilege than reading the maps does. Not finding it is not an error here:
 * only a SPEC without OBJECT needs it, and main_why says why. -1 only for a
 * process with no executable at all.
 */
static int find_main(struct target *t, char *err, size_t errlen)
{
	struct maps_file_id id;
	char exe[64], why[128];
	int fd;

	snprintf(exe, sizeof(exe), "/proc/%d/exe", t->pid);
	fd = objfile__open(exe, OBJFILE_MAGIC_LINK, why, sizeof(why));
	if (fd < 0 && errno == ENOENT) {
		if (target__exited(t))
			errbuf__set(err, errlen, "process %d exited before it could be traced",
				    t->pid);
		else if (is_kernel_thread(t->pid))
			errbuf__set(err, errlen,
				    "process %d (%s) is a kernel thread: it runs no program "
				    "of its own to trace; give the PID of a user process",
				    t->pid, t->comm);
		else
			errbuf__set(err, errlen, "process %d has no executable to trace", t->pid);
		return -1;
	}
	if (fd >= 0 && objfile__maps_id(fd, &id, why, sizeof(why))) {
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		snprintf(t->main_why, sizeof(t->main_why), "cannot read %s: %s", exe, why);
		return 0;
	}
	close(fd);
	for (size_t i = 0; i < t->nobjs; i++) {
		if (memcmp(&t->files[i].id, &id, sizeof(id)))
			continue;
		t->objs[i].is_main = true;
		free(t->files[i].src);
		t->files[i].src = strdup(exe);
		t->exe = strdup(t->objs[i].path);
		if (!t->files[i].src || !t->exe) {
			errbuf__set(err, errlen, "out of memory");
			return -1;
		}
		return 0;
	}
	snprintf(t->main_why, sizeof(t->main_why),
		 "its executable (%s) is not among its executable mappings", exe);
	return 0;
}

int target__attach_pid(struct target *t, pid_t pid, char *err, size_t errlen)
{
	struct mapped_objs m = {};
	int r;

	target_init(t);
	t->pid = pid;
	/* The pidfd pins the identity: a recycled PID later cannot be mistaken for it. */
	t->pidfd = pidfd_open(pid);
	if (t->pidfd < 0) {
		if (errno == ESRCH)
			errbuf__set(err, errlen, "no process with PID %d; check the PID with ps",
				    pid);
		else
			errbuf__set(err, errlen, "failed to open process %d: %s", pid,
				    strerror(errno));
		return -1;
	}
	read_comm(pid, pid, t->comm, sizeof(t->comm));
	r = mapped_objs__load(pid, &m);
	if (r) {
		if (r == -ESRCH)
			errbuf__set(err, errlen, "process %d exited before it could be traced",
				    pid);
		else
			errbuf__set(err, errlen, "failed to read the mappings of process %d: %s",
				    pid, strerror(-r));
		return -1;
	}
	r = add_mapped_objs(t, &m);
	mapped_objs__free(&m);
	if (r) {
		errbuf__set(err, errlen, "out of memory");
		return -1;
	}
	return find_main(t, err, errlen);
}

/*
 * Opens object i of a -p target through the process: /proc/PID/map_files (or
 * /proc/PID/exe) reaches the mapped file itself, whatever the target's root or
 * mount namespace and even if it was deleted; it is kept only if it is the
 * file its maps line names (a mapping replaced since the maps were read is
 * not). Following map_files takes CAP_SYS_ADMIN (or CAP_CHECKPOINT_RESTORE):
 * without it, the path the maps show (as seen from our root) is tried, and the
 * same check keeps it only if it leads to the very file mapped, which it does
 * not in another mount namespace or once the file was replaced. -1 with why.
 */
static int open_mapped(const struct target *t, size_t i, char *why, size_t whylen)
{
	const struct target_obj *o = &t->objs[i];
	const struct target_file *f = &t->files[i];
	char what[256];
	int fd;

	fd = objfile__open(f->src, OBJFILE_MAGIC_LINK, what, sizeof(what));
	if (fd < 0 && errno == EPERM && !o->is_main) {
		fd = objfile__open(o->path, 0, what, sizeof(what));
		if (fd >= 0 && !objfile__check(fd, &f->id, what, sizeof(what)))
			return fd;
		if (fd >= 0)
			close(fd);
		errbuf__set(why, whylen,
			    "%s needs CAP_SYS_ADMIN (or CAP_CHECKPOINT_RESTORE), and the "
			    "file at its path is not it (%s); run spantrace as root",
			    f->src, what);
		return -1;
	}
	if (fd < 0) {
		errbuf__set(why, whylen, "%s: %s", f->src, what);
		return -1;
	}
	if (objfile__check(fd, &f->id, what, sizeof(what))) {
		close(fd);
		errbuf__set(why, whylen, "%s changed since its maps were read (%s); try again",
			    f->src, what);
		return -1;
	}
	return fd;
}

int target__open_object(struct target *t, size_t i, bool verbose, char *err, size_t errlen)
{
	struct target_obj *o = &t->objs[i];
	struct target_file *f = &t->files[i];
	char why[512];
	int fd;

	if (f->fd >= 0)
		return 0;
	fd = f->mapped ? open_mapped(t, i, why, sizeof(why)) :
			 objfile__open(f->src, 0, why, sizeof(why));
	if (fd < 0) {
		if (f->mapped)
			errbuf__set(err, errlen, "cannot read %s as process %d maps it: %s",
				    o->path, t->pid, why);
		else
			errbuf__set(err, errlen, "cannot read %s: %s", o->path, why);
		return -1;
	}
	o->open_path = objfile__fd_path(fd);
	if (!o->open_path) {
		close(fd);
		errbuf__set(err, errlen, "out of memory");
		return -1;
	}
	f->fd = fd;
	if (verbose && f->mapped)
		say("%s: %sread and probed as process %d maps it", o->path,
		    o->deleted ? "deleted since the process mapped it; " : "", t->pid);
	return 0;
}

int target__open_objects(struct target *t, const struct spec *specs, size_t nspecs, bool verbose,
			 char *err, size_t errlen)
{
	for (size_t i = 0; i < nspecs; i++) {
		const struct target_obj *o;

		if (specs[i].role == SPEC_EXCLUDE)
			continue; /* names objects to leave out of, never to read */
		if (!specs[i].object && t->main_why[0]) {
			errbuf__set(err, errlen,
				    "cannot trace '%s' in the executable of process %d: %s",
				    specs[i].text, t->pid, t->main_why);
			return -1;
		}
		if (resolve__pick_object(&specs[i], t->objs, t->nobjs, &o, err, errlen) ||
		    target__open_object(t, (size_t)(o - t->objs), verbose, err, errlen))
			return -1;
	}
	return 0;
}

/* execvp's search, done up front so "command not found" comes before any attach. */
static char *find_command(const char *name)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];

	if (strchr(name, '/'))
		return access(name, X_OK) == 0 ? realpath(name, NULL) : NULL;
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, n ? path : ".", name);
		if (access(buf, X_OK) == 0)
			return realpath(buf, NULL);
		path += n + (path[n] == ':');
	}
	return NULL;
}

/*
 * The dynamic loader exe names (PT_INTERP), or NULL; *dynamic (if not NULL):
 * exe links libraries (PT_DYNAMIC), as a shared library does with no loader.
 */
static char *elf_interp(const char *exe, bool *dynamic)
{
	char *interp = NULL;
	Elf *e;
	size_t n;
	int fd;

	if (dynamic)
		*dynamic = false;
	elf_version(EV_CURRENT);
	fd = open(exe, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (e && elf_getphdrnum(e, &n) == 0) {
		for (size_t i = 0; i < n; i++) {
			GElf_Phdr ph;
			size_t len;
			char *data;

			if (!gelf_getphdr(e, (int)i, &ph))
				continue;
			if (ph.p_type == PT_DYNAMIC && dynamic)
				*dynamic = true;
			if (ph.p_type != PT_INTERP)
				continue;
			data = elf_rawfile(e, &len);
			if (data && ph.p_offset + ph.p_filesz <= len && ph.p_filesz)
				interp = strndup(data + ph.p_offset, ph.p_filesz);
		}
	}
	elf_end(e);
	close(fd);
	return interp;
}

/*
 * The libraries of t->exe as its dynamic loader interp resolves them
 * (`ld.so --list`), which applies RPATH, LD_LIBRARY_PATH and ld.so.cache the
 * same way a real start does. The loader maps them and runs none of their
 * code: LD_WARN, which would have it relocate them (and so run their IFUNC
 * resolvers), is dropped.
 */
static int list_libs(struct target *t, const char *interp, char *err, size_t errlen)
{
	char line[PATH_MAX + 64];
	int pfd[2];
	pid_t pid;
	FILE *f;
	int st;

	if (add_real_obj(t, interp) || pipe2(pfd, O_CLOEXEC)) {
		errbuf__set(err, errlen, "failed to list libraries of %s: %s", t->exe,
			    strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 1);
		unsetenv("LD_WARN");
		execl(interp, interp, "--list", t->exe, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	f = fdopen(pfd[0], "r");
	while (f && fgets(line, sizeof(line), f)) {
		/* "\tlibfoo.so.1 => /usr/lib/x86_64-linux-gnu/libfoo.so.1 (0x...)" */
		char *p = strstr(line, "=> /"), *e;

		if (!p)
			continue;
		p += 3;
		e = strstr(p, " (");
		if (e)
			*e = 0;
		p[strcspn(p, "\n")] = 0;
		if (add_real_obj(t, p)) {
			fclose(f);
			errbuf__set(err, errlen, "out of memory");
			return -1;
		}
	}
	if (f)
		fclose(f);
	else
		close(pfd[0]);
	if (pid > 0)
		waitpid(pid, &st, 0);
	return 0;
}

/* Libraries of a command that has not run yet, as its own dynamic loader will map them. */
static int add_libs(struct target *t, char *err, size_t errlen)
{
	char *interp;
	int r;

	if (target__open_object(t, 0, false, err, errlen))
		return -1;
	interp = elf_interp(t->objs[0].open_path, NULL);
	if (!interp)
		return 0; /* static executable: nothing more will be mapped */
	r = list_libs(t, interp, err, errlen);
	free(interp);
	return r;
}

/*
 * A dynamic loader --list FILE may run: a regular file owned by root, in a
 * directory owned by root, that no one else may write, as the system's is;
 * never one a file to look into names to have it run. 0, or -1 with why.
 */
static int system_file(const char *path, char *why, size_t whylen)
{
	char *real = realpath(path, NULL), *dir = real ? strdup(real) : NULL;
	struct stat f, d;
	int r = -1;

	if (!real || !dir)
		snprintf(why, whylen, "%s", strerror(errno));
	else if (stat(real, &f) || stat(dirname(dir), &d))
		snprintf(why, whylen, "%s", strerror(errno));
	else if (!S_ISREG(f.st_mode) || f.st_uid || d.st_uid || ((f.st_mode | d.st_mode) & 022))
		snprintf(why, whylen, "not a system file (a regular file owned by root, in a "
			 "directory of root's, that no one else may write)");
	else
		r = 0;
	free(real);
	free(dir);
	return r;
}

/*
 * Libraries of FILE: an executable's, as its loader lists them; a shared
 * library's (no loader of its own), as the system's loader, spantrace's own,
 * lists them. Only a loader that is a system file is run.
 */
static int add_file_libs(struct target *t, char *err, size_t errlen)
{
	char *interp;
	char why[256];
	bool dynamic;
	int r = -1;

	if (target__open_object(t, 0, false, err, errlen))
		return -1;
	interp = elf_interp(t->objs[0].open_path, &dynamic);
	if (!interp && dynamic)
		interp = elf_interp("/proc/self/exe", NULL);
	if (!interp)
		return 0; /* static: it maps nothing more */
	if (system_file(interp, why, sizeof(why)))
		errbuf__set(err, errlen, "will not run %s, the dynamic loader %s names, to find its "
			 "libraries: %s; give -- %s to resolve it as the command would start, or "
			 "-p PID while it runs", interp, t->name, why, t->name);
	else
		r = list_libs(t, interp, err, errlen);
	free(interp);
	return r;
}

static void close_pair(int p[2])
{
	close(p[0]);
	close(p[1]);
}

/*
 * The held child: waits for the go byte, then takes back the signal state
 * spantrace was started with and execs. A signal that came while it was held
 * is delivered then, as if it had come just before the command started.
 */
static void __attribute__((noreturn)) run_held(const char *exe, char **cmd,
						 const struct sigstate *start, int go, int ex)
{
	char c;
	int e;

	/* EOF: the tracer gave up before the probes were attached */
	if (read(go, &c, 1) != 1)
		_exit(127);
	e = -sigstate__restore(start);
	if (!e) {
		execv(exe, cmd);
		e = errno;
	}
	if (write(ex, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

int target__resolve_command(struct target *t, char **cmd, bool want_libs, char *err,
			    size_t errlen)
{
	char *exe;

	target_init(t);
	exe = find_command(cmd[0]);
	if (!exe) {
		errbuf__set(err, errlen, "cannot run '%s': %s", cmd[0],
			    strchr(cmd[0], '/') ? strerror(errno) : "command not found in PATH");
		return -1;
	}
	t->exe = exe;
	t->name = cmd[0];
	snprintf(t->comm, sizeof(t->comm), "%.15s", strrchr(exe, '/') + 1);
	if (add_obj(t, exe, true) || (want_libs && add_libs(t, err, errlen))) {
		if (!*err)
			errbuf__set(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

int target__file(struct target *t, const char *path, char *err, size_t errlen)
{
	target_init(t);
	t->exe = realpath(path, NULL);
	if (!t->exe) {
		errbuf__set(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	t->name = path;
	if (add_obj(t, t->exe, true)) {
		errbuf__set(err, errlen, "out of memory");
		return -1;
	}
	return add_file_libs(t, err, errlen);
}

int target__launch(struct target *t, char **cmd, bool want_libs, const struct sigstate *start,
		   char *err, size_t errlen)
{
	int go[2], ex[2];
	pid_t pid;

	if (target__resolve_command(t, cmd, want_libs, err, errlen))
		return -1;
	if (pipe2(go, O_CLOEXEC)) {
		errbuf__set(err, errlen, "failed to create a pipe: %s", strerror(errno));
		return -1;
	}
	if (pipe2(ex, O_CLOEXEC)) {
		errbuf__set(err, errlen, "failed to create a pipe: %s", strerror(errno));
		close_pair(go);
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		errbuf__set(err, errlen, "failed to fork: %s", strerror(errno));
		close_pair(go);
		close_pair(ex);
		return -1;
	}
	if (pid == 0) {
		close(go[1]);
		close(ex[0]);
		run_held(t->exe, cmd, start, go[0], ex[1]);
	}
	close(go[0]);
	close(ex[1]);
	t->pid = pid;
	t->launched = true;
	t->go_fd = go[1];
	t->exec_err_fd = ex[0];
	/* Without it, the command's end would never be noticed (target__close ends the child). */
	t->pidfd = pidfd_open(pid);
	if (t->pidfd < 0) {
		errbuf__set(err, errlen, "failed to watch the command's process (pidfd_open): %s%s",
			    strerror(errno),
			    errno == ENOSYS ? "; spantrace needs Linux 5.3 or later" : "");
		return -1;
	}
	return 0;
}

/* A launched command: waits for its end and keeps its status. */
static void reap(struct target *t)
{
	int st;

	while (waitpid(t->pid, &st, 0) < 0)
		if (errno != EINTR)
			return; /* ECHILD: not ours to reap (SIGCHLD ignored?) */
	t->ended = true;
	t->wstatus = st;
}

int target__release(struct target *t, char *err, size_t errlen)
{
	char how[64];
	int e = 0;
	ssize_t n;

	if (write(t->go_fd, "g", 1) != 1) {
		e = errno;
		/* EPIPE: killed while held (a Ctrl-C to the process group before it could start) */
		if (e == EPIPE) {
			reap(t);
			if (t->ended) {
				errbuf__set(err, errlen, "%s %s before it started", t->name,
					    fate__describe(t->wstatus, how, sizeof(how)));
				return -1;
			}
		}
		errbuf__set(err, errlen, "failed to start the command: %s", strerror(e));
		return -1;
	}
	close(t->go_fd);
	t->go_fd = -1;
	/* The pipe closes on a successful exec (O_CLOEXEC): EOF means it runs. */
	n = read(t->exec_err_fd, &e, sizeof(e));
	close(t->exec_err_fd);
	t->exec_err_fd = -1;
	if (n == sizeof(e)) {
		reap(t); /* it is exiting with 127 */
		errbuf__set(err, errlen, "failed to execute %s: %s", t->exe, strerror(e));
		return -1;
	}
	t->released = true;
	return 0;
}

bool target__exited(struct target *t)
{
	struct pollfd p = { .fd = t->pidfd, .events = POLLIN };

	if (t->ended)
		return true;
	if (t->pidfd < 0)
		return kill(t->pid, 0) && errno == ESRCH;
	if (poll(&p, 1, 0) <= 0)
		return false;
	/* readable: it has exited; a launched one is a zombie, reaped at once */
	if (t->launched)
		reap(t);
	return true;
}

int target__signal(struct target *t, int sig)
{
	/* our child, not reaped yet: its pid cannot name another process */
	if (!t->launched || t->ended)
		return -ESRCH;
	return kill(t->pid, sig) ? -errno : 0;
}

void target__close(struct target *t)
{
	if (t->launched && t->go_fd >= 0) {
		/* Never released: closing the pipe makes it _exit(127) without running. */
		close(t->go_fd);
		waitpid(t->pid, NULL, 0);
	} else if (t->launched && !t->ended) {
		/* the loader has waited for it; never block here */
		waitpid(t->pid, NULL, WNOHANG);
	}
	if (t->exec_err_fd >= 0)
		close(t->exec_err_fd);
	if (t->pidfd >= 0)
		close(t->pidfd);
	for (size_t i = 0; i < t->nobjs; i++) {
		free((char *)t->objs[i].path);
		free((char *)t->objs[i].open_path);
		free(t->files[i].src);
		if (t->files[i].fd >= 0)
			close(t->files[i].fd);
	}
	free(t->objs);
	free(t->files);
	free(t->exe);
	target_init(t);
}
