/*
 * The BSD unix datagram backend (tsocket_bsd.c): tdgram_unix_socket bound
 * and unbound, connected and not: a server answering a client bound to its
 * own path, an unbound sender, creation errors, sendto errors, EBUSY, a
 * connected socket refusing other senders (EPERM), the peer going away
 * (ECONNREFUSED, then ENOTCONN), disconnect, freeing with a recvfrom pending.
 */
#include "bsd_common.h"

static struct tdgram_context *ux(const char *label, const char *local, const struct tsocket_address *remote)
{
	struct tdgram_context *d = NULL;
	struct tsocket_address *l = unixa(local);
	int ret;
	errno = 0;
	ret = tdgram_unix_socket(l, remote, mem, &d);
	T("unix_socket %s local=%s remote=%s ret=%d%s%s dgram=%s", label, astr(l), astr(remote), ret,
	  ret == -1 ? " errno=" : "", ret == -1 ? errname(errno) : "", d ? "yes" : "NULL");
	if (d != NULL) {
		reg_auto(d, label);
	}
	return d;
}

int main(void)
{
	struct tdgram_context *srv, *cl, *ub, *cc, *f1, *d = NULL;
	struct tsocket_address *saddr, *src;
	struct op *o, *r1;
	char p[256];
	int fd, ret;

	mem = talloc_new(NULL);
	ev = tevent_context_init(mem);
	make_tmpdir();

	SECTION("sockets and creation errors");
	saddr = unixa("srv");
	srv = ux("srv", "srv", NULL);
	cl = ux("cl", "cl", NULL);
	ub = ux("ub", "", NULL);
	ux("e1", "srv", NULL);
	ux("e2", "nodir/x", NULL);
	ux("e3", "e3", unixa("missing"));
	snprintf(p, sizeof(p), "%s/file", tmpdir);
	fd = open(p, O_CREAT | O_WRONLY, 0600);
	close(fd);
	ux("e4", "", unixa("file"));
	ux("e5", "", inet("ipv4", "127.0.0.1", 53));
	errno = 0;
	ret = tdgram_unix_socket(inet("ipv4", "127.0.0.1", 0), NULL, mem, &d);
	T("unix_socket e6 local=ipv4 ret=%d errno=%s dgram=%s", ret, errname(errno), d ? "yes" : "NULL");

	SECTION("a server answering a client bound to its own path");
	fin(st("s1", cl, "hi", saddr));
	o = rf("r1", srv);
	fin(o);
	src = o->addr;
	fin(st("s2", srv, "ho", src));
	fin(rf("r2", cl));

	SECTION("an unbound sender has no address");
	fin(st("s3", ub, "anon", saddr));
	o = rf("r3", srv);
	fin(o);
	T("r3 is_unix=%d", tsocket_address_is_unix(o->addr));
	/* # note: an unbound unix sender has no address: recvfrom gives a tsocket_address with no family (string NULL, is_unix 0); sending to it is sendto without an address: ENOTCONN */
	fin(st("s4", srv, "back", o->addr));

	SECTION("second outstanding recvfrom: EBUSY");
	r1 = rf("r4", srv);
	fin(rf("r5", srv));
	T("r4 in_progress=%d", tevent_req_is_in_progress(r1->req));
	fin(st("s5", cl, "again", saddr));
	fin(r1);

	SECTION("sendto errors");
	fin(st("s6", cl, "x", inet("ipv4", "127.0.0.1", 53)));
	fin(st("s7", cl, "x", unixa("missing")));
	fin(st("s8", cl, "x", NULL));

	SECTION("connected unix datagrams");
	cc = ux("cc", "cc", saddr);
	fin(st("s9", cc, "conn", NULL));
	fin(rf("r6", srv));
	fin(st("s10", cc, "explicit", saddr));
	fin(rf("r7", srv));
	fin(st("s11", srv, "reply", unixa("cc")));
	fin(rf("r8", cc));
	T("(a connected socket refuses other senders)");
	fin(st("s12", cl, "intruder", unixa("cc")));

	SECTION("the peer goes away: ECONNREFUSED, then ENOTCONN");
	T("free srv");
	talloc_free(srv);
	/* # note: the first send to a connected peer that went is ECONNREFUSED and dissolves the association: the next is ENOTCONN */
	fin(st("s13", cc, "gone", NULL));
	fin(st("s14", cc, "gone", NULL));
	fin(st("s15", cl, "gone", saddr));

	SECTION("freeing a dgram with a recvfrom pending");
	f1 = ux("f1", "f1", NULL);
	watch(f1, "f1");
	r1 = rf("r9", f1);
	T("free f1");
	talloc_free(f1);
	settle(20);
	show_req(r1);

	SECTION("disconnect, then everything is ENOTCONN");
	fin(ddc("d1", cl));
	fin(rf("r10", cl));
	fin(st("s16", cl, "x", unixa("cc")));
	fin(ddc("d2", cl));

	SECTION("done");
	talloc_free(cc);
	talloc_free(ub);
	rm_tmpdir();
	talloc_free(mem);
	return 0;
}
