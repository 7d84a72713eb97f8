/*
 * The system calls newlib expects, for an environment with no files and no
 * processes: the heap comes from the hypervisor pool, stdout/stderr go to
 * the console, everything else fails cleanly.
 */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <arch_cpu.h>
#include <vigil/console.h>
#include <vigil/panic.h>
#include <vigil/pool.h>

#undef errno
extern int errno;

static char *heap_start;
static char *heap_next;
static char *heap_end;
static arch_spinlock_t heap_lock;

void heap_init(void *base, size_t size)
{
	heap_start = heap_next = base;
	heap_end = (char *)base + size;
}

size_t heap_used_bytes(void)
{
	/* Until malloc first takes memory, its bookkeeping is not set up
	 * and mallinfo() reads garbage. */
	if (heap_next == heap_start)
		return 0;
	return mallinfo().uordblks;
}

void *_sbrk(ptrdiff_t incr);
void *_sbrk(ptrdiff_t incr)
{
	void *old = (void *)-1;

	arch_spin_lock(&heap_lock);
	if (heap_next != NULL && incr >= 0 && incr <= heap_end - heap_next) {
		old = heap_next;
		heap_next += incr;
	}
	arch_spin_unlock(&heap_lock);
	if (old == (void *)-1)
		errno = ENOMEM;
	return old;
}

int _write(int fd, const char *buf, int len);
int _write(int fd, const char *buf, int len)
{
	if (fd != 1 && fd != 2) {
		errno = EBADF;
		return -1;
	}
	console_write(buf, (size_t)len);
	return len;
}

int _read(int fd, char *buf, int len);
int _read(int fd, char *buf, int len)
{
	(void)fd, (void)buf, (void)len;
	errno = EBADF;
	return -1;
}

int _close(int fd);
int _close(int fd)
{
	(void)fd;
	errno = EBADF;
	return -1;
}

int _lseek(int fd, int off, int whence);
int _lseek(int fd, int off, int whence)
{
	(void)fd, (void)off, (void)whence;
	errno = ESPIPE;
	return -1;
}

int _fstat(int fd, struct stat *st);
int _fstat(int fd, struct stat *st)
{
	(void)fd;
	st->st_mode = S_IFCHR;
	return 0;
}

int _isatty(int fd);
int _isatty(int fd)
{
	return fd <= 2;
}

int _getpid(void);
int _getpid(void)
{
	return 1;
}

int _kill(int pid, int sig);
int _kill(int pid, int sig)
{
	(void)pid, (void)sig;
	errno = EINVAL;
	return -1;
}

void _exit(int status);
void _exit(int status)
{
	panic("exit(%d) called", status);
}

/* abort() from newlib (e.g. a failed assert in library code). */
void abort(void)
{
	panic("abort() called");
}
