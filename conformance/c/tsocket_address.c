/*
 * tsocket_address: the generic half (tsocket.c) and the BSD addresses of
 * tsocket_bsd.c: parsing, printing, getters, sockaddr byte layouts, errno.
 * Host-independent inputs only (interface "lo" is index 1 on Linux).
 */
#include "common.h"
#include <sys/un.h>
#include <netinet/in.h>
#include <tsocket.h>
#include <tsocket_internal.h>

/* a C string argument, printable: NULL, or quoted with \xNN escapes */
static const char *q(const char *s)
{
	static char buf[4][1024];
	static int n;
	char *b = buf[n++ % 4];
	size_t o = 0;
	if (s == NULL) {
		return "NULL";
	}
	b[o++] = '"';
	for (; *s && o < 1000; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
			o += sprintf(b + o, "\\x%02x", c);
		} else {
			b[o++] = c;
		}
	}
	b[o++] = '"';
	b[o] = 0;
	return b;
}

static const char *hex(const uint8_t *p, size_t n)
{
	static char buf[2][1024];
	static int k;
	char *b = buf[k++ % 2];
	size_t i;
	for (i = 0; i < n && i < 500; i++) {
		sprintf(b + 2 * i, "%02x", p[i]);
	}
	b[2 * i] = 0;
	return b;
}

/* everything the getters say about an address, on one line */
static void describe(const char *label, struct tsocket_address *a, TALLOC_CTX *m)
{
	uint8_t sa[200];
	ssize_t l;
	char *s, *as, *up;
	unsigned port;
	int e_as, e_port, e_up;

	memset(sa, 0xee, sizeof(sa));
	l = tsocket_address_bsd_sockaddr(a, (struct sockaddr *)sa, sizeof(sa));
	s = tsocket_address_string(a, m);
	errno = 0; as = tsocket_address_inet_addr_string(a, m); e_as = errno;
	errno = 0; port = tsocket_address_inet_port(a); e_port = errno;
	errno = 0; up = tsocket_address_unix_path(a, m); e_up = errno;
	T("%s string=%s sockaddr=%zd:%s", label, q(s), l, hex(sa, l > 0 ? (size_t)l : 0));
	T("%s addr_string=%s%s port=%u%s unix_path=%s%s is_inet(ip,ipv4,ipv6,IPv6,ipx,\"\")=%d%d%d%d%d%d is_unix=%d",
	  label, q(as), as ? "" : (e_as == EINVAL ? "/EINVAL" : "/?"),
	  port, port == 0 && e_port == EINVAL ? "/EINVAL" : "",
	  q(up), up ? "" : (e_up == EINVAL ? "/EINVAL" : "/?"),
	  tsocket_address_is_inet(a, "ip"), tsocket_address_is_inet(a, "ipv4"),
	  tsocket_address_is_inet(a, "ipv6"), tsocket_address_is_inet(a, "IPv6"),
	  tsocket_address_is_inet(a, "ipx"), tsocket_address_is_inet(a, ""),
	  tsocket_address_is_unix(a));
}

static void from_strings(const char *fam, const char *s, uint16_t port)
{
	TALLOC_CTX *m = talloc_new(NULL);
	struct tsocket_address *a = NULL;
	uint8_t sa[64];
	ssize_t l;
	int ret, e;

	errno = 0;
	ret = tsocket_address_inet_from_strings(m, fam, s, port, &a);
	e = errno;
	if (ret == 0) {
		size_t blocks = talloc_total_blocks(m) - 1;
		l = tsocket_address_bsd_sockaddr(a, (struct sockaddr *)sa, sizeof(sa));
		T("from_strings %s %s %u ret=0 %s %s blocks=%zu", q(fam), q(s), port,
		  tsocket_address_string(a, m), hex(sa, l), blocks);
	} else {
		T("from_strings %s %s %u ret=%d errno=%d addr=%s", q(fam), q(s), port, ret, e,
		  a ? "set" : "NULL");
	}
	talloc_free(m);
}

static void hostport(const char *fam, const char *s, uint16_t port)
{
	TALLOC_CTX *m = talloc_new(NULL);
	struct tsocket_address *a = NULL;
	int ret, e;

	errno = 0;
	ret = tsocket_address_inet_from_hostport_strings(m, fam, s, port, &a);
	e = errno;
	if (ret == 0) {
		size_t blocks = talloc_total_blocks(m) - 1;
		T("hostport %s %s %u ret=0 %s blocks=%zu", q(fam), q(s), port,
		  tsocket_address_string(a, m), blocks);
	} else {
		T("hostport %s %s %u ret=%d errno=%d addr=%s blocks=%zu", q(fam), q(s), port, ret, e,
		  a ? "set" : "NULL", talloc_total_blocks(m) - 1);
	}
	talloc_free(m);
}

static void from_sockaddr(const char *label, const uint8_t *sa, size_t len)
{
	TALLOC_CTX *m = talloc_new(NULL);
	struct tsocket_address *a = NULL;
	int ret, e;

	errno = 0;
	ret = tsocket_address_bsd_from_sockaddr(m, (struct sockaddr *)sa, len, &a);
	e = errno;
	if (ret != 0) {
		T("from_sockaddr %s len=%zu ret=%d errno=%d addr=%s", label, len, ret, e, a ? "set" : "NULL");
	} else {
		T("from_sockaddr %s len=%zu ret=0", label, len);
		describe("  ", a, m);
	}
	talloc_free(m);
}

static void unix_from_path(const char *p)
{
	TALLOC_CTX *m = talloc_new(NULL);
	struct tsocket_address *a = NULL;
	int ret, e;

	errno = 0;
	ret = tsocket_address_unix_from_path(m, p, &a);
	e = errno;
	if (ret != 0) {
		T("unix_from_path len=%zu ret=%d errno=%d addr=%s", p ? strlen(p) : 0, ret, e, a ? "set" : "NULL");
	} else {
		char *up = tsocket_address_unix_path(a, m);
		T("unix_from_path len=%zu ret=0 path_len=%zu string_len=%zu", p ? strlen(p) : 0,
		  strlen(up), strlen(tsocket_address_string(a, m)));
	}
	talloc_free(m);
}

/* bsd_sockaddr into a buffer of len bytes, pre-filled with 0xee */
static void to_sockaddr(const char *label, struct tsocket_address *a, size_t len)
{
	uint8_t sa[200];
	ssize_t l;
	int e;

	memset(sa, 0xee, sizeof(sa));
	errno = 0;
	l = tsocket_address_bsd_sockaddr(a, (struct sockaddr *)sa, len);
	e = errno;
	if (l < 0) {
		T("bsd_sockaddr %s len=%zu ret=%zd errno=%d untouched=%d", label, len, l, e,
		  sa[0] == 0xee && sa[len > 0 ? len - 1 : 0] == 0xee);
	} else {
		T("bsd_sockaddr %s len=%zu ret=%zd buf=%s", label, len, l, hex(sa, len));
	}
}

/* a second kind of address, written against tsocket_internal.h */
struct test_addr {
	int n;
};

static char *test_addr_string(const struct tsocket_address *addr, TALLOC_CTX *mem_ctx)
{
	struct test_addr *t = talloc_get_type_abort(addr->private_data, struct test_addr);
	return talloc_asprintf(mem_ctx, "test:%d", t->n);
}

static const struct tsocket_address_ops test_addr_ops;

static struct tsocket_address *test_addr_copy(const struct tsocket_address *addr,
					      TALLOC_CTX *mem_ctx, const char *location)
{
	struct test_addr *t = talloc_get_type_abort(addr->private_data, struct test_addr);
	struct test_addr *c;
	struct tsocket_address *copy = tsocket_address_create(mem_ctx, &test_addr_ops, &c,
							      struct test_addr, location);
	c->n = t->n + 1;
	return copy;
}

static const struct tsocket_address_ops test_addr_ops = {
	.name = "test",
	.string = test_addr_string,
	.copy = test_addr_copy,
};

int main(void)
{
	static const char *fams[] = { "ip", "ipv4", "ipv6", "IPv4", "IP", "ipx", "", NULL };
	static const char *addrs[] = {
		"127.0.0.1", "::1", "localhost", "", "127.1", "0x7f.1", "017.0.0.1", "1",
		"4294967295", "4294967296", "1.2.3.4 ", "1.2.3.4\n", " 1.2.3.4", "08.1.2.3",
		"0x", "0x100000000", "1.2.3", "1.2.3.4.5", "1..2", "1.2.3.", ".1.2.3", "a",
		"256.0.0.1", "1.256.0.1", "1.2.65536", "1.2.65535", "1.16777215", "1.16777216",
		"0.0.0.0", "255.255.255.255", "[::1]",
		"::ffff:1.2.3.4", "::ffff:7f00:1", "::ffff:0:0", "0:0:0:0:0:ffff:1.2.3.4",
		"::1.2.3.4", "::ffff:255.255.255.256", "::ffff:1.2.3.04", "1:2:3:4:5:6:1.2.3.4",
		"1:2:3:4:5:6:7:8", "1::2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "::", ":::", ":",
		"1:", ":1", "1::2::3", "12345::", "FE80::ABCD", "ffff::",
		"fe80::1%lo", "fe80::1%1", "fe80::1%0", "fe80::1%00005", "fe80::1%4294967295",
		"fe80::1%4294967296", "fe80::1%-0", "fe80::1% 5", "fe80::1%+5", "fe80::1%",
		"fe80::1%nosuch", "fe80::1%LO", "fe80::1%1x", "fe80::1%lo%",
		"::1%lo", "::1%5", "2001:db8::1%5", "ff02::1%lo", "ff01::1%lo", "ff05::1%lo",
		"febf::1%lo", "fec0::1%lo", "::ffff:1.2.3.4%5", "::ffff:1.2.3.4%lo",
		"::ffff:254.128.0.1%lo", "1.2.3.4%5",
		"::2", "::0.0.0.2", "::ffff", "::1:0", "1::", "1:0:0:1:0:0:0:1", "1:0:0:1:0:0:1:1",
		"0:0:1::", "::ffff:0:1.2.3.4", "::fffe:1.2.3.4", "64:ff9b::1.2.3.4", "a:b:c:d:e:f:0:0",
		"1.2.3.4\xc3\xa9", NULL
	};
	static const uint16_t ports[] = { 0, 1, 80, 445, 9999, 10000, 65534, 65535 };
	static const char *hps[] = {
		"127.0.0.1", "127.0.0.1:80", "[::1]", "[::1]:80", "::1", "::1:80", "[::1]:", "[::1]x",
		"127.0.0.1:", "127.0.0.1:65535", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1: 80",
		"127.0.0.1:+80", "127.0.0.1:0x50", "127.0.0.1:080", "127.0.0.1:80x", "[127.0.0.1]:80",
		"[fe80::1%lo]:99", "]::1[:80", "[::1]:80:90", "a.b:80", "1:80", "localhost:80", "[]:80",
		"[::1]]:80", "[[::1]:80", "10.0.0.1:80:90", "", ":80", ".:80",
		"[::1]:99999999999999999999", "::ffff:1.2.3.4", "[::ffff:1.2.3.4]:80", "x[::1]:80",
		"x[::1]", "[::1]: 80", "[::1]:\t80", "[::1]:80 ", "[::1]:-0", "[::1]:1-",
		"[::1]:18446744073709551615", "[::1]:18446744073709551616",
		"[::1]:00000000000000000000080", "[::1]:0", "1.2:3", "1:2.3", "1.2.3.4:5]",
		"[1.2.3.4:5]", "[::1]]", "]", "[", "[]", "[::1]:80]", ":", "1.:", ".", "[::1]:\n80",
		"[::1]:\v80", "[::1]:80\n", NULL
	};
	int i, j, ret;
	uint8_t sa[300];
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
	struct sockaddr_un un;
	char path[300];
	TALLOC_CTX *m;
	struct tsocket_address *a, *c;

	SECTION("inet_from_strings: NULL address per family");
	for (i = 0; fams[i] != NULL; i++) {
		from_strings(fams[i], NULL, 0);
	}

	SECTION("inet_from_strings: address strings");
	for (j = 0; j < 3; j++) {
		for (i = 0; addrs[i] != NULL; i++) {
			from_strings(fams[j], addrs[i], 445);
		}
	}
	from_strings("ipv4", "*", 1);
	from_strings("ipv6", "*", 1);
	from_strings("ipx", "127.0.0.1", 1);
	from_strings("IPV6", "::1", 1);

	SECTION("inet_from_strings: ports");
	for (i = 0; i < (int)(sizeof(ports) / sizeof(ports[0])); i++) {
		from_strings("ipv4", "1.2.3.4", ports[i]);
		from_strings("ipv6", "::1", ports[i]);
	}

	SECTION("inet_from_hostport_strings");
	for (j = 0; j < 2; j++) {
		for (i = 0; hps[i] != NULL; i++) {
			hostport(fams[j], hps[i], 7);
		}
	}
	hostport("ipv6", "[::1]:80", 7);
	hostport("ipv6", "1.2.3.4:80", 7);
	hostport("ip", NULL, 7);
	hostport("ipv4", NULL, 7);
	hostport("ipv6", NULL, 65535);
	hostport("ipx", "1.2.3.4:5", 7);
	hostport("ipx", "[::1]:5", 7);
	hostport("ipx", "[::1]:x", 7);
	hostport("ipx", NULL, 7);

	SECTION("bsd_from_sockaddr: AF_INET");
	memset(&in, 0, sizeof(in));
	in.sin_family = AF_INET;
	in.sin_port = htons(445);
	in.sin_addr.s_addr = htonl(0x7f000001);
	memset(sa, 0, sizeof(sa));
	memcpy(sa, &in, sizeof(in));
	from_sockaddr("in", sa, 16);
	from_sockaddr("in", sa, 15);
	from_sockaddr("in", sa, 17);
	from_sockaddr("in", sa, 2);
	from_sockaddr("in", sa, 1);
	from_sockaddr("in", sa, 0);
	from_sockaddr("in", sa, 128);
	from_sockaddr("in", sa, 129);
	memset(sa + 8, 0xab, 8);
	from_sockaddr("in+sin_zero", sa, 16);

	SECTION("bsd_from_sockaddr: AF_INET6");
	memset(&in6, 0, sizeof(in6));
	in6.sin6_family = AF_INET6;
	in6.sin6_port = htons(80);
	in6.sin6_flowinfo = htonl(0x12345);
	in6.sin6_scope_id = 7;
	in6.sin6_addr.s6_addr[0] = 0xfe;
	in6.sin6_addr.s6_addr[1] = 0x80;
	in6.sin6_addr.s6_addr[15] = 1;
	memset(sa, 0, sizeof(sa));
	memcpy(sa, &in6, sizeof(in6));
	from_sockaddr("in6", sa, 28);
	from_sockaddr("in6", sa, 27);
	from_sockaddr("in6", sa, 16);
	from_sockaddr("in6", sa, 100);
	in6.sin6_addr.s6_addr[0] = 0;
	in6.sin6_addr.s6_addr[1] = 0;
	in6.sin6_addr.s6_addr[10] = 0xff;
	in6.sin6_addr.s6_addr[11] = 0xff;
	memcpy(sa, &in6, sizeof(in6));
	from_sockaddr("in6-mapped", sa, 28);

	SECTION("bsd_from_sockaddr: AF_UNIX");
	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	strcpy(un.sun_path, "/tmp/sock");
	memset(sa, 0, sizeof(sa));
	memcpy(sa, &un, sizeof(un));
	from_sockaddr("un", sa, 110);
	from_sockaddr("un", sa, 2);
	from_sockaddr("un", sa, 5);
	from_sockaddr("un", sa, 12);
	from_sockaddr("un", sa, 111);
	from_sockaddr("un", sa, 128);
	from_sockaddr("un", sa, 1);
	memset(sa, 'A', sizeof(sa));
	sa[0] = AF_UNIX;
	sa[1] = 0;
	from_sockaddr("un-no-nul", sa, 110);
	from_sockaddr("un-no-nul", sa, 300);
	sa[2] = 0;
	memcpy(sa + 3, "abstract", 8);
	from_sockaddr("un-abstract", sa, 11);

	SECTION("bsd_from_sockaddr: other families");
	memset(sa, 0, sizeof(sa));
	from_sockaddr("AF_UNSPEC", sa, 16);
	sa[0] = 2; sa[1] = 1;
	from_sockaddr("family=0x0102", sa, 16);
	sa[0] = 0; sa[1] = 2;
	from_sockaddr("family=0x0200", sa, 16);
	sa[0] = 17; sa[1] = 0;
	from_sockaddr("AF_PACKET", sa, 20);
	sa[0] = 9; sa[1] = 0;
	from_sockaddr("family=9", sa, 1);

	SECTION("unix_from_path");
	memset(path, 'x', sizeof(path));
	path[0] = '/';
	for (i = 105; i <= 110; i++) {
		path[i] = 0;
		unix_from_path(path);
		path[i] = 'x';
	}
	unix_from_path(NULL);
	unix_from_path("");
	m = talloc_new(NULL);
	tsocket_address_unix_from_path(m, "/run/samba/x", &a);
	describe("unix /run/samba/x", a, m);
	tsocket_address_unix_from_path(m, NULL, &a);
	describe("unix NULL", a, m);
	talloc_free(m);

	SECTION("bsd_sockaddr: buffer lengths");
	m = talloc_new(NULL);
	tsocket_address_inet_from_strings(m, "ipv4", "10.1.2.3", 139, &a);
	to_sockaddr("ipv4", a, 0);
	to_sockaddr("ipv4", a, 15);
	to_sockaddr("ipv4", a, 16);
	to_sockaddr("ipv4", a, 20);
	tsocket_address_inet_from_strings(m, "ipv6", "fe80::2%lo", 139, &a);
	to_sockaddr("ipv6", a, 27);
	to_sockaddr("ipv6", a, 28);
	to_sockaddr("ipv6", a, 32);
	tsocket_address_unix_from_path(m, "/s", &a);
	to_sockaddr("unix", a, 109);
	to_sockaddr("unix", a, 110);
	to_sockaddr("unix", a, 112);
	memset(sa, 0, sizeof(sa));
	sa[0] = AF_UNIX;
	sa[2] = 'p';
	tsocket_address_bsd_from_sockaddr(m, (struct sockaddr *)sa, 3, &a);
	to_sockaddr("unix-len3", a, 2);
	to_sockaddr("unix-len3", a, 3);
	to_sockaddr("unix-len3", a, 6);
	talloc_free(m);

	SECTION("inet_set_port, copy, string, talloc");
	m = talloc_new(NULL);
	tsocket_address_inet_from_strings(m, "ipv6", "::1", 1, &a);
	errno = 0;
	T("set_port 65535 ret=%d", tsocket_address_inet_set_port(a, 65535));
	T("port=%u string=%s", tsocket_address_inet_port(a), tsocket_address_string(a, m));
	T("set_port 0 ret=%d", tsocket_address_inet_set_port(a, 0));
	T("port=%u string=%s", tsocket_address_inet_port(a), tsocket_address_string(a, m));
	c = tsocket_address_copy(a, m);
	T("copy string=%s same=%d blocks(copy)=%zu", tsocket_address_string(c, m), c == a,
	  talloc_total_blocks(c));
	tsocket_address_inet_set_port(c, 99);
	T("after set_port on copy: original=%s copy=%s", tsocket_address_string(a, m),
	  tsocket_address_string(c, m));
	T("string(NULL)=%s", tsocket_address_string(NULL, m));
	tsocket_address_unix_from_path(m, "/x", &a);
	errno = 0;
	ret = tsocket_address_inet_set_port(a, 1);
	T("set_port on unix ret=%d errno=%d", ret, errno);
	c = tsocket_address_copy(a, NULL);
	T("copy to NULL ctx: parent=%s string=%s", talloc_parent(c) == NULL ? "NULL" : "?",
	  tsocket_address_string(c, m));
	talloc_free(c);
	talloc_free(m);

	SECTION("a new kind of address (tsocket_internal.h)");
	m = talloc_new(NULL);
	{
		struct test_addr *t;
		a = tsocket_address_create(m, &test_addr_ops, &t, struct test_addr, __location__);
		t->n = 41;
		T("ops=%s string=%s blocks=%zu", a->ops->name, tsocket_address_string(a, m),
		  talloc_total_blocks(a));
		c = tsocket_address_copy(a, m);
		T("copy string=%s", tsocket_address_string(c, m));
		char *str;
		ssize_t l;
		T("is_inet=%d is_unix=%d", tsocket_address_is_inet(a, "ip"), tsocket_address_is_unix(a));
		errno = 0;
		str = tsocket_address_inet_addr_string(a, m);
		T("inet_addr_string=%s errno=%d", q(str), errno);
		errno = 0;
		ret = tsocket_address_inet_port(a);
		T("inet_port=%d errno=%d", ret, errno);
		errno = 0;
		ret = tsocket_address_inet_set_port(a, 1);
		T("inet_set_port=%d errno=%d", ret, errno);
		errno = 0;
		str = tsocket_address_unix_path(a, m);
		T("unix_path=%s errno=%d", q(str), errno);
		errno = 0;
		l = tsocket_address_bsd_sockaddr(a, (struct sockaddr *)sa, sizeof(sa));
		T("bsd_sockaddr=%zd errno=%d", l, errno);
	}
	talloc_free(m);
	return 0;
}
