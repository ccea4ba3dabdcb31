/*
 * The BSD UDP datagram backend (tsocket_bsd.c) over 127.0.0.1:
 * tdgram_inet_udp_socket (unconnected and connected),
 * tdgram_inet_udp_broadcast_socket, round trips with the sender's address,
 * EBUSY, sendto errors (wrong family, port 0, no destination), ICMP port
 * unreachable on a connected socket, disconnect (ENOTCONN), freeing a
 * dgram with a recvfrom pending.  Host-independent: ipv4 loopback only.
 */
#include "bsd_common.h"

/* a UDP port on 127.0.0.1 that nobody uses right now */
static uint16_t free_port(void)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&sin, sizeof(sin));
	getsockname(fd, (struct sockaddr *)&sin, &sl);
	close(fd);
	return ntohs(sin.sin_port);
}

static struct tdgram_context *udp(const char *label, const struct tsocket_address *local,
				  const struct tsocket_address *remote)
{
	struct tdgram_context *d = NULL;
	int ret;
	errno = 0;
	ret = tdgram_inet_udp_socket(local, remote, mem, &d);
	T("udp_socket %s local=%s remote=%s ret=%d%s%s dgram=%s", label, astr(local), astr(remote), ret,
	  ret == -1 ? " errno=" : "", ret == -1 ? errname(errno) : "", d ? "yes" : "NULL");
	if (d != NULL) {
		reg_auto(d, label);
	}
	return d;
}

static bool same(const struct tsocket_address *a, const struct tsocket_address *b)
{
	return a != NULL && b != NULL &&
	       strcmp(tsocket_address_string(a, mem), tsocket_address_string(b, mem)) == 0;
}

int main(void)
{
	struct tdgram_context *srv, *cl, *cc, *cr, *bc = NULL, *d = NULL, *f1;
	struct tsocket_address *saddr, *claddr, *ccaddr, *closed;
	struct op *o, *r1;
	int ret;

	mem = talloc_new(NULL);
	ev = tevent_context_init(mem);
	make_tmpdir();

	SECTION("sockets");
	saddr = inet("ipv4", "127.0.0.1", free_port());
	srv = udp("srv", saddr, NULL);
	cl = udp("cl", inet("ipv4", NULL, 0), NULL);
	udp("e1", unixa("u"), NULL);
	udp("e2", inet("ipv4", "127.0.0.1", 0), inet("ipv6", "::1", 53));
	errno = 0;
	ret = tdgram_inet_udp_broadcast_socket(inet("ipv6", "::1", 0), mem, &d);
	T("broadcast_socket ipv6 ret=%d errno=%s dgram=%s", ret, errname(errno), d ? "yes" : "NULL");
	ret = tdgram_inet_udp_broadcast_socket(inet("ipv4", "127.0.0.1", 0), mem, &bc);
	T("broadcast_socket bc ret=%d dgram=%s", ret, bc ? "yes" : "NULL");
	reg_auto(bc, "bc");

	SECTION("round trip with the sender's address");
	fin(st("s1", cl, "hello", saddr));
	o = rf("r1", srv);
	fin(o);
	claddr = o->addr;
	fin(st("s2", srv, "world", claddr));
	o = rf("r2", cl);
	fin(o);
	T("r2 src==srv %d", same(o->addr, saddr));

	SECTION("second outstanding recvfrom: EBUSY");
	r1 = rf("r3", srv);
	fin(rf("r4", srv));
	T("r3 in_progress=%d", tevent_req_is_in_progress(r1->req));
	fin(st("s3", cl, "again", saddr));
	fin(r1);
	T("r3 src==cl %d", same(r1->addr, claddr));

	SECTION("two datagrams wait, each recvfrom takes one");
	fin(st("s4", cl, "one", saddr));
	fin(st("s5", cl, "two", saddr));
	fin(rf("r5", srv));
	fin(rf("r6", srv));

	SECTION("sendto errors");
	fin(st("s6", cl, "x", inet("ipv6", "::1", 53)));
	fin(st("s7", cl, "x", unixa("u")));
	fin(st("s8", cl, "x", inet("ipv4", "127.0.0.1", 0)));
	fin(st("s9", cl, "x", NULL));

	SECTION("connected UDP");
	cc = udp("cc", inet("ipv4", "127.0.0.1", 0), saddr);
	fin(st("s10", cc, "conn", NULL));
	o = rf("r7", srv);
	fin(o);
	ccaddr = o->addr;
	fin(st("s11", cc, "explicit", saddr));
	fin(rf("r8", srv));
	T("(a datagram from another sender is not for a connected socket)");
	fin(st("s12", cl, "intruder", ccaddr));
	fin(st("s13", srv, "reply", ccaddr));
	o = rf("r9", cc);
	fin(o);
	T("r9 src==srv %d", same(o->addr, saddr));

	SECTION("connected UDP to a closed port: ECONNREFUSED from the ICMP error");
	closed = inet("ipv4", "127.0.0.1", free_port());
	cr = udp("cr", inet("ipv4", NULL, 0), closed);
	fin(st("s14", cr, "x", NULL));
	settle(20);
	fin(rf("r10", cr));
	fin(st("s15", cr, "y", NULL));
	settle(20);
	/* # note: the ICMP port unreachable is reported once (SO_ERROR): to the pending recvfrom (r10), then to the next send after another ICMP (s16), while s15 itself succeeded */
	fin(st("s16", cr, "z", NULL));

	SECTION("broadcast socket");
	fin(st("s17", bc, "bcast", saddr));
	fin(rf("r11", srv));

	SECTION("freeing a dgram with a recvfrom pending");
	f1 = udp("f1", inet("ipv4", "127.0.0.1", 0), NULL);
	watch(f1, "f1");
	r1 = rf("r12", f1);
	T("free f1");
	talloc_free(f1);
	settle(20);
	show_req(r1);

	SECTION("disconnect, then everything is ENOTCONN");
	fin(ddc("d1", cl));
	fin(rf("r13", cl));
	fin(st("s18", cl, "x", saddr));
	fin(ddc("d2", cl));

	SECTION("done");
	talloc_free(srv);
	talloc_free(cc);
	talloc_free(cr);
	talloc_free(bc);
	rm_tmpdir();
	talloc_free(mem);
	return 0;
}
