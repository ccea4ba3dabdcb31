/*
 * The BSD unix stream backend (tsocket_bsd.c): tstream_unix_socketpair,
 * tstream_unix_connect_send (ENOENT, ECONNREFUSED, EINVAL, a listening
 * socket made here with socket/bind/listen and served with blocking
 * syscalls), tstream_bsd_existing_socket(-1), round trips, pending_bytes,
 * EBUSY, the peer closing (EPIPE), disconnect (ENOTCONN), freeing a stream
 * with a readv pending.
 */
#include "bsd_common.h"

static int lfd = -1;

static void srv_write(int fd, const char *s)
{
	ssize_t n = write(fd, s, strlen(s));
	T("server write \"%s\" ret=%zd", s, n);
}

static void srv_read(int fd, size_t n)
{
	uint8_t buf[64];
	size_t got = 0;
	ssize_t r = 0;
	while (got < n) {
		r = read(fd, buf + got, n - got);
		if (r <= 0) {
			break;
		}
		got += r;
	}
	if (got == 0 && r == -1) {
		T("server read error %s", errname(errno));
	} else if (got == 0) {
		T("server read eof");
	} else {
		T("server read %zu: %s", got, show(buf, got));
	}
}

static struct tstream_context *uconn(const char *label, const char *path, int *sfd)
{
	struct op *o = new_op(label, OP_UNIX_CONNECT);
	T("connect_send %s to %s", label, path);
	op_set(o, tstream_unix_connect_send(mem, ev, unixa(""), unixa(path)));
	fin(o);
	if (o->stream != NULL) {
		reg_auto(o->stream, label);
	}
	if (sfd != NULL) {
		*sfd = accept(lfd, NULL, NULL);
		T("server accepted %s", *sfd == -1 ? "no" : "yes");
	}
	return o->stream;
}

int main(void)
{
	struct tstream_context *s1 = NULL, *s2 = NULL, *s3 = NULL, *s4 = NULL;
	struct tstream_context *s5 = NULL, *s6 = NULL, *s7 = NULL, *s8 = NULL, *c1, *x1 = NULL;
	struct tdgram_context *stale = NULL;
	struct op *o, *r1, *w1;
	struct sockaddr_un sun;
	int ret, sfd, fd;
	char p[256];

	signal(SIGPIPE, SIG_IGN);
	mem = talloc_new(NULL);
	ev = tevent_context_init(mem);
	make_tmpdir();

	SECTION("socketpair");
	ret = tstream_unix_socketpair(mem, &s1, mem, &s2);
	T("socketpair ret=%d", ret);
	reg_auto(s1, "s1");
	reg_auto(s2, "s2");
	pending(s1);
	pending(s2);

	SECTION("round trips and pending_bytes");
	fin(wv("w1", s1, "ping", "!"));
	r1 = rv("r1", s2, 2, 0);
	fin(r1);
	pending(s2);
	fin(rv("r2", s2, 2, 1));
	pending(s2);
	fin(wv("w2", s2, "pong", ""));
	fin(rv("r3", s1, 4, 0));

	SECTION("one readv filled by several writevs");
	r1 = rv("r4", s2, 3, 3);
	fin(wv("w3", s1, "ab", ""));
	fin(wv("w4", s1, "cde", "f"));
	fin(r1);

	SECTION("second outstanding readv or writev: EBUSY");
	r1 = rv("r5", s1, 2, 0);
	fin(rv("r6", s1, 1, 0));
	T("r5 in_progress=%d", tevent_req_is_in_progress(r1->req));
	w1 = wv("w5", s2, "xy", "");
	fin(wv("w6", s2, "z", ""));
	fin(w1);
	fin(r1);

	SECTION("the peer freed: writev EPIPE at once, readv EPIPE");
	T("free s2");
	talloc_free(s2);
	/* # note: unlike TCP, a unix stream fails the first write after the peer went with EPIPE */
	fin(wv("w7", s1, "a", ""));
	pending(s1);
	fin(rv("r7", s1, 1, 0));

	SECTION("pending_bytes with the peer gone: EPIPE, kept");
	ret = tstream_unix_socketpair(mem, &s3, mem, &s4);
	reg_auto(s3, "s3");
	reg_auto(s4, "s4");
	T("free s4");
	talloc_free(s4);
	settle(20);
	pending(s3);
	fin(rv("r8", s3, 1, 0));

	SECTION("what the peer wrote before it went is still read, then EPIPE");
	ret = tstream_unix_socketpair(mem, &s5, mem, &s6);
	reg_auto(s5, "s5");
	reg_auto(s6, "s6");
	fin(wv("w8", s5, "bye", ""));
	T("free s5");
	talloc_free(s5);
	settle(20);
	pending(s6);
	fin(rv("r9", s6, 3, 0));
	fin(rv("r10", s6, 1, 0));
	pending(s6);

	SECTION("disconnect, then everything is ENOTCONN");
	ret = tstream_unix_socketpair(mem, &s7, mem, &s8);
	reg_auto(s7, "s7");
	reg_auto(s8, "s8");
	fin(dc("d1", s7));
	fin(rv("r11", s7, 1, 0));
	fin(wv("w9", s7, "x", ""));
	pending(s7);
	fin(dc("d2", s7));
	fin(rv("r12", s8, 1, 0));

	SECTION("freeing a stream with a readv pending");
	watch(s8, "s8");
	r1 = rv("r13", s8, 1, 0);
	T("free s8");
	talloc_free(s8);
	settle(20);
	show_req(r1);

	SECTION("tstream_bsd_existing_socket(-1)");
	ret = tstream_bsd_existing_socket(mem, -1, &x1);
	T("existing_socket ret=%d stream=%s", ret, x1 ? "yes" : "NULL");
	reg_auto(x1, "x1");
	pending(x1);
	fin(rv("r14", x1, 1, 0));
	fin(wv("w10", x1, "x", ""));
	fin(dc("d3", x1));

	SECTION("unix connect errors");
	uconn("u1", "missing", NULL);
	snprintf(p, sizeof(p), "%s/file", tmpdir);
	fd = open(p, O_CREAT | O_WRONLY, 0600);
	close(fd);
	uconn("u2", "file", NULL);
	ret = tdgram_unix_socket(unixa("stale"), NULL, mem, &stale);
	T("dgram socket on stale ret=%d", ret);
	talloc_free(stale);
	uconn("u3", "stale", NULL);
	o = new_op("u4", OP_UNIX_CONNECT);
	T("connect_send u4 local ipv4");
	op_set(o, tstream_unix_connect_send(mem, ev, inet("ipv4", "127.0.0.1", 0), unixa("missing")));
	fin(o);
	o = new_op("u5", OP_UNIX_CONNECT);
	T("connect_send u5 remote ipv4");
	op_set(o, tstream_unix_connect_send(mem, ev, unixa(""), inet("ipv4", "127.0.0.1", 1)));
	fin(o);

	SECTION("unix connect to a listening socket");
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%.90s/srv", tmpdir);
	if (bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) != 0 || listen(lfd, 5) != 0) {
		perror("bind/listen");
		return 1;
	}
	T("listening on %s", norm(talloc_asprintf(mem, "unix:%s", sun.sun_path)));
	c1 = uconn("c1", "srv", &sfd);
	pending(c1);
	fin(wv("w11", c1, "hello", ""));
	srv_read(sfd, 5);
	srv_write(sfd, "world");
	fin(rv("r15", c1, 3, 2));
	srv_write(sfd, "!");
	T("server close");
	close(sfd);
	fin(rv("r16", c1, 2, 0));
	fin(wv("w12", c1, "x", ""));

	SECTION("done");
	close(lfd);
	rm_tmpdir();
	talloc_free(mem);
	return 0;
}
