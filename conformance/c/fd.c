/* fd events on a socketpair: flags, set/get flags, close fn, auto close. */
#include "common.h"

static int sv[2];

static const char *fdname(int fd)
{
	if (fd == sv[0]) return "sv0";
	if (fd == sv[1]) return "sv1";
	if (fd == -1) return "-1";
	return "?";
}

static void fd_handler(struct tevent_context *e, struct tevent_fd *fde, uint16_t flags, void *pvt)
{
	char buf[16];
	int fd = *(int *)pvt;
	T("fd %s flags=%u", nm(fde), flags);
	if (flags & TEVENT_FD_READ) {
		T("read %s ret=%zd", fdname(fd), read(fd, buf, sizeof(buf)));
	}
}

static void fd_free_self_handler(struct tevent_context *e, struct tevent_fd *fde, uint16_t flags, void *pvt)
{
	T("fd %s flags=%u frees itself", nm(fde), flags);
	talloc_free(fde);
	T("after free inside handler");
}

static void close_fn(struct tevent_context *e, struct tevent_fd *fde, int fd, void *pvt)
{
	T("close_fn %s fd=%s pvt=%s", nm(fde), fdname(fd), nm(pvt));
}

static const char *fd_state(int fd)
{
	return fcntl(fd, F_GETFD) == -1 && errno == EBADF ? "closed" : "open";
}

static void mkpair(void)
{
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
}

int main(void)
{
	TALLOC_CTX *mem = talloc_new(NULL);
	struct tevent_context *ev = tevent_context_init(mem);
	struct tevent_fd *r, *w;
	void *p1 = talloc_new(mem);
	reg(p1, "p1");

	SECTION("read");
	mkpair();
	r = tevent_add_fd(ev, mem, sv[0], TEVENT_FD_READ, fd_handler, &sv[0]);
	reg(r, "r");
	T("get_flags r=%u", tevent_fd_get_flags(r));
	T("write sv1 ret=%zd", write(sv[1], "abc", 3));
	loop_once(ev);

	SECTION("write");
	w = tevent_add_fd(ev, mem, sv[1], TEVENT_FD_WRITE, fd_handler, &sv[1]);
	reg(w, "w");
	loop_once(ev);
	tevent_fd_set_flags(w, 0);
	T("get_flags w=%u", tevent_fd_get_flags(w));
	TALLOC_FREE(w);

	/* # note: with READ|WRITE requested and both ready, the handler is called once with flags=3 */
	SECTION("read|write");
	tevent_fd_set_flags(r, TEVENT_FD_READ | TEVENT_FD_WRITE);
	T("get_flags r=%u", tevent_fd_get_flags(r));
	T("write sv1 ret=%zd", write(sv[1], "de", 2));
	loop_once(ev);
	loop_once(ev);
	tevent_fd_set_flags(r, TEVENT_FD_READ);

	/* # note: a closed peer is reported as TEVENT_FD_READ (read returns 0) */
	SECTION("peer closed");
	close(sv[1]);
	loop_once(ev);
	TALLOC_FREE(r);
	close(sv[0]);

	SECTION("free with pending data");
	mkpair();
	r = tevent_add_fd(ev, mem, sv[0], TEVENT_FD_READ, fd_handler, &sv[0]);
	reg(r, "r");
	write(sv[1], "x", 1);
	TALLOC_FREE(r);
	loop_wait(ev);
	T("sv0 %s", fd_state(sv[0]));

	SECTION("handler frees its fd event");
	r = tevent_add_fd(ev, mem, sv[0], TEVENT_FD_READ, fd_free_self_handler, &sv[0]);
	reg(r, "r");
	loop_wait(ev);
	T("sv0 %s", fd_state(sv[0]));

	/* # note: the close_fn runs from the fd event's destructor, before the fd event's talloc children are freed; without auto close the fd stays open */
	SECTION("close_fn runs before children are freed");
	r = tevent_add_fd(ev, mem, sv[0], TEVENT_FD_READ, fd_handler, p1);
	reg(r, "r");
	(void)watch(r, "r-child");
	tevent_fd_set_close_fn(r, close_fn);
	T("free r ret=%d", talloc_free(r));
	T("sv0 %s", fd_state(sv[0]));

	SECTION("auto close");
	r = tevent_add_fd(ev, mem, sv[0], TEVENT_FD_READ, fd_handler, p1);
	reg(r, "r");
	tevent_fd_set_auto_close(r);
	T("free r ret=%d", talloc_free(r));
	T("sv0 %s", fd_state(sv[0]));
	close(sv[1]);

	/* # note: tevent_fd_set_auto_close replaces a close_fn set earlier (the close_fn is not called), and a later tevent_fd_set_close_fn replaces auto close (the fd stays open) */
	SECTION("close_fn then auto close");
	mkpair();
	r = tevent_add_fd(ev, mem, sv[0], TEVENT_FD_READ, fd_handler, p1);
	reg(r, "r");
	tevent_fd_set_close_fn(r, close_fn);
	tevent_fd_set_auto_close(r);
	T("free r ret=%d", talloc_free(r));
	T("sv0 %s", fd_state(sv[0]));

	SECTION("auto close then close_fn");
	r = tevent_add_fd(ev, mem, sv[1], TEVENT_FD_READ, fd_handler, p1);
	reg(r, "r");
	tevent_fd_set_auto_close(r);
	tevent_fd_set_close_fn(r, close_fn);
	T("free r ret=%d", talloc_free(r));
	T("sv1 %s", fd_state(sv[1]));
	close(sv[0]);
	close(sv[1]);

	/* # note: freeing the tevent_context neither frees an fd event owned by another parent nor closes its auto-close fd; the fd is closed only when the fd event itself is freed */
	SECTION("freeing the context");
	mkpair();
	{
		struct tevent_context *ev2 = tevent_context_init(mem);
		r = tevent_add_fd(ev2, mem, sv[0], TEVENT_FD_READ, fd_handler, p1);
		reg(r, "r");
		tevent_fd_set_auto_close(r);
		(void)watch(r, "r-child");
		T("free ev2 ret=%d", talloc_free(ev2));
		T("sv0 %s", fd_state(sv[0]));
		T("free r ret=%d", talloc_free(r));
		T("sv0 %s", fd_state(sv[0]));
	}
	close(sv[1]);

	SECTION("end");
	loop_wait(ev);
	talloc_free(mem);
	return 0;
}
