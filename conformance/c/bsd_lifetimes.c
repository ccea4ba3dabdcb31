/*
 * Lifetimes of what the BSD backends create (tsocket_bsd.c): which talloc
 * context each stream, dgram, request, address and buffer belongs to, and
 * what freeing those contexts does (the socket is closed, a pending request
 * dies without its callback, what was received stays with its new owner).
 */
#include "bsd_common.h"

static int lfd = -1;
static struct tsocket_address *laddr;

static int tcp_listen(struct tsocket_address **addr)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 || listen(fd, 16) != 0) {
		perror("bind/listen");
		exit(1);
	}
	getsockname(fd, (struct sockaddr *)&sin, &sl);
	tsocket_address_bsd_from_sockaddr(mem, (struct sockaddr *)&sin, sl, addr);
	return fd;
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

#define PARENT(what, obj, ctx) T("parent(%s)==%s %d", what, #ctx, talloc_parent(obj) == (ctx))

int main(void)
{
	TALLOC_CTX *ctx1, *ctx2, *sendctx, *recvctx, *rctx, *dctx, *other;
	struct tstream_context *s1 = NULL, *s2 = NULL, *c1;
	struct tdgram_context *d1 = NULL, *d2 = NULL;
	struct tsocket_address *d2addr;
	struct op *o, *r1;
	int sfd, ret;

	signal(SIGPIPE, SIG_IGN);
	mem = talloc_new(NULL);
	ev = tevent_context_init(mem);
	make_tmpdir();

	SECTION("socketpair: each stream is a child of its own context");
	ctx1 = talloc_new(mem);
	ctx2 = talloc_new(mem);
	watch(ctx2, "ctx2");
	ret = tstream_unix_socketpair(ctx1, &s1, ctx2, &s2);
	T("socketpair ret=%d", ret);
	reg_auto(s1, "s1");
	reg_auto(s2, "s2");
	watch(s2, "s2");
	PARENT("s1", s1, ctx1);
	PARENT("s2", s2, ctx2);
	T("free ctx2");
	talloc_free(ctx2);
	fin(rv("r1", s1, 1, 0));

	SECTION("a request is a child of the context given to _send");
	ret = tstream_unix_socketpair(mem, &s1, mem, &s2);
	reg_auto(s1, "s3");
	reg_auto(s2, "s4");
	sendctx = talloc_new(mem);
	o = new_op("r2", OP_READV);
	o->la = 2;
	{
		struct iovec v = { .iov_base = o->a, .iov_len = 2 };
		T("readv_send r2 on s3 (2,0) with sendctx");
		op_set(o, tstream_readv_send(sendctx, ev, s1, &v, 1));
	}
	PARENT("r2", o->req, sendctx);
	T("free sendctx");
	talloc_free(sendctx);
	fin(wv("w1", s2, "ok", ""));
	settle(20);
	show_req(o);
	T("(the stream is free for another readv)");
	fin(rv("r3", s1, 2, 0));

	SECTION("stealing a stream away from its context");
	other = talloc_new(mem);
	talloc_steal(other, s2);
	PARENT("s4", s2, other);
	fin(wv("w2", s2, "st", ""));
	fin(rv("r4", s1, 2, 0));
	T("free other");
	talloc_free(other);
	fin(rv("r5", s1, 1, 0));
	talloc_free(s1);

	SECTION("tcp connect: the stream and the local address belong to the context given to _recv");
	lfd = tcp_listen(&laddr);
	recvctx = talloc_new(mem);
	watch(recvctx, "recvctx");
	o = new_op("c1", OP_TCP_CONNECT);
	o->recv_ctx = recvctx;
	T("connect_send c1");
	sendctx = talloc_new(mem);
	op_set(o, tstream_inet_tcp_connect_send(sendctx, ev, inet("ipv4", "127.0.0.1", 0), laddr));
	PARENT("c1 req", o->req, sendctx);
	fin(o);
	c1 = o->stream;
	reg_auto(c1, "c1");
	watch(c1, "c1");
	watch(o->addr, "c1 local");
	PARENT("c1", c1, recvctx);
	PARENT("c1 local", o->addr, recvctx);
	T("free sendctx");
	talloc_free(sendctx);
	sfd = accept(lfd, NULL, NULL);
	fin(wv("w3", c1, "tcp", ""));
	srv_read(sfd, 3);
	/* # note: tstream_bsd_connect_recv creates the stream on mem_ctx first and then talloc_move()s the local address there, so the address is the newer child and is freed first */
	T("free recvctx");
	talloc_free(recvctx);
	srv_read(sfd, 1);
	close(sfd);

	SECTION("unix connect: the stream belongs to the context given to _recv");
	close(lfd);
	{
		struct sockaddr_un sun;
		lfd = socket(AF_UNIX, SOCK_STREAM, 0);
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%.90s/srv", tmpdir);
		if (bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) != 0 || listen(lfd, 5) != 0) {
			perror("bind/listen");
			return 1;
		}
	}
	recvctx = talloc_new(mem);
	o = new_op("c2", OP_UNIX_CONNECT);
	o->recv_ctx = recvctx;
	T("connect_send c2");
	op_set(o, tstream_unix_connect_send(mem, ev, unixa(""), unixa("srv")));
	fin(o);
	reg_auto(o->stream, "c2");
	watch(o->stream, "c2");
	PARENT("c2", o->stream, recvctx);
	sfd = accept(lfd, NULL, NULL);
	T("free recvctx");
	talloc_free(recvctx);
	srv_read(sfd, 1);
	close(sfd);
	close(lfd);

	SECTION("dgram: the context, and what recvfrom returns");
	dctx = talloc_new(mem);
	ret = tdgram_inet_udp_socket(inet("ipv4", "127.0.0.1", 0), NULL, dctx, &d1);
	reg_auto(d1, "d1");
	watch(d1, "d1");
	PARENT("d1", d1, dctx);
	ret = tdgram_unix_socket(unixa("d2"), NULL, mem, &d2);
	reg_auto(d2, "d2");
	PARENT("d2", d2, mem);
	d2addr = unixa("d2");
	fin(ddc("x1", d1));
	ret = tdgram_unix_socket(unixa("d3"), NULL, dctx, &d1);
	reg_auto(d1, "d3");
	fin(st("s1", d1, "data", d2addr));
	rctx = talloc_new(mem);
	o = new_op("r6", OP_RECVFROM);
	o->recv_ctx = rctx;
	T("recvfrom_send r6 on d2, received on rctx");
	op_set(o, tdgram_recvfrom_send(mem, ev, d2));
	fin(o);
	PARENT("r6 buf", o->buf, rctx);
	PARENT("r6 src", o->addr, rctx);
	watch(o->addr, "r6 src");
	watch(o->buf, "r6 buf");
	T("free rctx");
	talloc_free(rctx);
	T("free dctx");
	talloc_free(dctx);
	r1 = rf("r7", d2);
	fin(st("s2", d2, "self", d2addr));
	fin(r1);

	SECTION("freeing the context of a pending recvfrom");
	sendctx = talloc_new(mem);
	o = new_op("r8", OP_RECVFROM);
	T("recvfrom_send r8 on d2 with sendctx");
	op_set(o, tdgram_recvfrom_send(sendctx, ev, d2));
	PARENT("r8", o->req, sendctx);
	T("free sendctx");
	talloc_free(sendctx);
	fin(st("s3", d2, "later", d2addr));
	settle(20);
	show_req(o);
	fin(rf("r9", d2));

	SECTION("done");
	rm_tmpdir();
	talloc_free(mem);
	return 0;
}
