/*
 * Wrapping existing descriptors: tstream_bsd_existing_socket on a FIFO
 * opened read-write (it loops back to itself) and on a descriptor that is
 * not open, tdgram_bsd_existing_socket(-1) and on a bound UDP socket,
 * tstream_bsd_optimize_readv / tdgram_bsd_optimize_recvfrom (old values,
 * non-BSD contexts, reads with the option on), freeing closes the descriptor.
 * (Descriptors Node.js cannot adopt -- files, TCP sockets as datagrams --
 * are a documented deviation and are not compared.)
 */
#include "bsd_common.h"
#include <tsocket_internal.h>

/* a stream and a dgram that are not BSD sockets: ops never called */
struct dummy {
	int x;
};

static const struct tstream_context_ops dummy_stream_ops = {
	.name = "dummy",
};

static const struct tdgram_context_ops dummy_dgram_ops = {
	.name = "dummy",
};

static const char *fd_state(int fd)
{
	return fcntl(fd, F_GETFD) == -1 && errno == EBADF ? "closed" : "open";
}

int main(void)
{
	struct tstream_context *s1 = NULL, *s2 = NULL, *ds;
	struct tdgram_context *d1 = NULL, *d2 = NULL, *cl = NULL, *dd;
	struct dummy *dst;
	struct tsocket_address *d2addr;
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	char p[256];
	int fd, ufd, ret;
	struct op *o;

	mem = talloc_new(NULL);
	ev = tevent_context_init(mem);
	make_tmpdir();

	SECTION("tstream_bsd_existing_socket on a FIFO (read-write)");
	snprintf(p, sizeof(p), "%s/fifo", tmpdir);
	mkfifo(p, 0600);
	fd = open(p, O_RDWR | O_NONBLOCK);
	unlink(p);
	errno = 0;
	ret = tstream_bsd_existing_socket(mem, fd, &s1);
	T("existing_socket ret=%d%s%s stream=%s", ret, ret == -1 ? " errno=" : "", ret == -1 ? errname(errno) : "", s1 ? "yes" : "NULL");
	reg_auto(s1, "s1");
	pending(s1);
	fin(wv("w1", s1, "loop", ""));
	settle(20);
	pending(s1);
	fin(rv("r1", s1, 2, 2));
	pending(s1);
	fin(wv("w2", s1, "abc", "de"));
	settle(20);
	fin(rv("r2", s1, 1, 0));
	fin(rv("r3", s1, 4, 0));

	SECTION("tstream_bsd_optimize_readv");
	T("optimize_readv(s1, true) old=%d", tstream_bsd_optimize_readv(s1, true));
	T("optimize_readv(s1, true) old=%d", tstream_bsd_optimize_readv(s1, true));
	fin(wv("w3", s1, "xyz", ""));
	settle(20);
	fin(rv("r4", s1, 2, 1));
	o = rv("r5", s1, 3, 0);
	T("r5 in_progress=%d", tevent_req_is_in_progress(o->req));
	fin(wv("w4", s1, "123", ""));
	fin(o);
	T("optimize_readv(s1, false) old=%d", tstream_bsd_optimize_readv(s1, false));
	T("optimize_readv(s1, false) old=%d", tstream_bsd_optimize_readv(s1, false));
	ds = tstream_context_create(mem, &dummy_stream_ops, &dst, struct dummy, __location__);
	reg_auto(ds, "ds");
	T("optimize_readv(ds, true) old=%d (not a bsd stream)", tstream_bsd_optimize_readv(ds, true));
	T("optimize_readv(ds, true) old=%d (not a bsd stream)", tstream_bsd_optimize_readv(ds, true));

	SECTION("freeing the stream closes the descriptor");
	watch(s1, "s1");
	T("free s1");
	talloc_free(s1);
	settle(20);
	T("fd %s", fd_state(fd));

	SECTION("tstream_bsd_existing_socket on a descriptor that is not open");
	errno = 0;
	ret = tstream_bsd_existing_socket(mem, 987654, &s2);
	T("existing_socket ret=%d%s%s stream=%s", ret, ret == -1 ? " errno=" : "", ret == -1 ? errname(errno) : "", s2 ? "yes" : "NULL");
	reg_auto(s2, "s2");
	pending(s2);
	fin(wv("w5", s2, "x", ""));
	fin(dc("c1", s2));
	pending(s2);
	fin(wv("w6", s2, "x", ""));

	SECTION("tdgram_bsd_existing_socket(-1)");
	errno = 0;
	ret = tdgram_bsd_existing_socket(mem, -1, &d1);
	T("existing_socket ret=%d%s%s dgram=%s", ret, ret == -1 ? " errno=" : "", ret == -1 ? errname(errno) : "", d1 ? "yes" : "NULL");
	reg_auto(d1, "d1");
	fin(rf("f1", d1));
	fin(st("t1", d1, "x", inet("ipv4", "127.0.0.1", 9)));
	fin(st("t2", d1, "x", NULL));
	T("optimize_recvfrom(d1, true) old=%d", tdgram_bsd_optimize_recvfrom(d1, true));
	fin(rf("f2", d1));
	fin(ddc("c2", d1));

	SECTION("tdgram_bsd_existing_socket on a bound UDP socket");
	ufd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(ufd, (struct sockaddr *)&sin, sizeof(sin));
	getsockname(ufd, (struct sockaddr *)&sin, &sl);
	d2addr = inet("ipv4", "127.0.0.1", ntohs(sin.sin_port));
	errno = 0;
	ret = tdgram_bsd_existing_socket(mem, ufd, &d2);
	T("existing_socket ret=%d%s%s dgram=%s", ret, ret == -1 ? " errno=" : "", ret == -1 ? errname(errno) : "", d2 ? "yes" : "NULL");
	reg_auto(d2, "d2");
	ret = tdgram_inet_udp_socket(inet("ipv4", "127.0.0.1", 0), NULL, mem, &cl);
	T("udp_socket cl ret=%d", ret);
	reg_auto(cl, "cl");
	fin(st("t3", cl, "adopted", d2addr));
	o = rf("f3", d2);
	fin(o);
	fin(st("t4", d2, "back", o->addr));
	o = rf("f4", cl);
	fin(o);
	T("reply from d2's address=%d", strcmp(tsocket_address_string(o->addr, mem),
					       tsocket_address_string(d2addr, mem)) == 0);

	SECTION("tdgram_bsd_optimize_recvfrom");
	T("optimize_recvfrom(d2, true) old=%d", tdgram_bsd_optimize_recvfrom(d2, true));
	T("optimize_recvfrom(d2, true) old=%d", tdgram_bsd_optimize_recvfrom(d2, true));
	fin(st("t5", cl, "waiting", d2addr));
	settle(20);
	fin(rf("f5", d2));
	o = rf("f6", d2);
	T("f6 in_progress=%d", tevent_req_is_in_progress(o->req));
	fin(st("t6", cl, "later", d2addr));
	fin(o);
	T("optimize_recvfrom(d2, false) old=%d", tdgram_bsd_optimize_recvfrom(d2, false));
	T("optimize_recvfrom(d2, false) old=%d", tdgram_bsd_optimize_recvfrom(d2, false));
	dd = tdgram_context_create(mem, &dummy_dgram_ops, &dst, struct dummy, __location__);
	reg_auto(dd, "dd");
	T("optimize_recvfrom(dd, true) old=%d (not a bsd dgram)", tdgram_bsd_optimize_recvfrom(dd, true));
	T("optimize_recvfrom(dd, true) old=%d (not a bsd dgram)", tdgram_bsd_optimize_recvfrom(dd, true));

	SECTION("freeing the dgram closes the descriptor");
	watch(d2, "d2");
	T("free d2");
	talloc_free(d2);
	settle(20);
	T("ufd %s", fd_state(ufd));
	fin(st("t7", cl, "gone", d2addr));

	SECTION("done");
	rm_tmpdir();
	talloc_free(mem);
	return 0;
}
