/*
 * The C side of `npm run bench` (bench/README.md): Samba's tevent + tsocket
 * (libsamba-sockets) on the same workloads, with the same sizes, as
 * bench/workloads.ts.  Built by bench/run.ts with gcc -O2.
 *
 *   tbench <workload> <size>      prints one JSON line
 *
 * workloads: w1 (requests), w2-unix / w2-tcp (bytes), w3 (PDUs),
 * w4-udp / w4-unix (round trips), w5-idle / w5-reading (stream pairs).
 * Each run does a warm-up pass of the same size first (not timed), like
 * the JavaScript side.
 */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <stdbool.h>
#include <string.h>
#include <errno.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <talloc.h>
#include <tevent.h>
#include <tsocket.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "tbench: %s: %s\n", what, strerror(err));
	exit(1);
}

/* tevent_loop_until() is not exported by libtevent 0.14: the same loop */
static void loop_until(struct tevent_context *ev, bool *finished)
{
	while (!*finished) {
		if (tevent_loop_once(ev) != 0) die("tevent_loop_once", errno);
	}
}

/* ---------------- W1 request churn ---------------- */

struct churn_state { int unused; };
struct churn { struct tevent_context *ev; TALLOC_CTX *mem; uint64_t n, target; bool finished; };

static void churn_done(struct tevent_req *req);

static struct tevent_req *churn_send(TALLOC_CTX *mem, struct tevent_context *ev)
{
	struct churn_state *state;
	struct tevent_req *req = tevent_req_create(mem, &state, struct churn_state);
	if (req == NULL) die("tevent_req_create", ENOMEM);
	tevent_req_done(req);
	return tevent_req_post(req, ev);
}

static void churn_start(struct churn *c)
{
	struct tevent_req *req = churn_send(c->mem, c->ev);
	tevent_req_set_callback(req, churn_done, c);
}

static void churn_done(struct tevent_req *req)
{
	struct churn *c = (struct churn *)tevent_req_callback_data_void(req);
	enum tevent_req_state st;
	uint64_t err;
	if (tevent_req_is_error(req, &st, &err)) die("churn", EIO);
	talloc_free(req);
	if (++c->n < c->target) churn_start(c);
	else c->finished = true;
}

static double w1(uint64_t n)
{
	TALLOC_CTX *mem = talloc_new(NULL);
	struct churn c = { .ev = tevent_context_init(mem), .mem = mem, .target = n };
	double t0 = now();
	churn_start(&c);
	loop_until(c.ev, &c.finished);
	double t = now() - t0;
	talloc_free(mem);
	return t;
}

/* ---------------- stream helpers ---------------- */

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* a connected TCP loopback pair (client, server) as tstreams */
static void tcp_pair(TALLOC_CTX *mem, struct tstream_context **a, struct tstream_context **b)
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(l, (struct sockaddr *)&sin, sizeof(sin)) != 0) die("bind", errno);
	if (listen(l, 1) != 0) die("listen", errno);
	getsockname(l, (struct sockaddr *)&sin, &sl);
	int c = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(c, (struct sockaddr *)&sin, sizeof(sin)) != 0) die("connect", errno);
	int s = accept(l, NULL, NULL);
	if (s < 0) die("accept", errno);
	close(l);
	set_nonblock(c);
	set_nonblock(s);
	if (tstream_bsd_existing_socket(mem, c, a) != 0) die("tstream_bsd_existing_socket", errno);
	if (tstream_bsd_existing_socket(mem, s, b) != 0) die("tstream_bsd_existing_socket", errno);
}

static void unix_pair(TALLOC_CTX *mem, struct tstream_context **a, struct tstream_context **b)
{
	if (tstream_unix_socketpair(mem, a, mem, b) != 0) die("tstream_unix_socketpair", errno);
}

/* ---------------- W2 bulk ---------------- */

#define CHUNK 65536

struct bulk {
	struct tevent_context *ev;
	TALLOC_CTX *mem;
	struct tstream_context *w, *r;
	uint8_t *wbuf, *rbuf;
	uint64_t total, written, nread;
	bool finished;
};

static void bulk_write_done(struct tevent_req *req);
static void bulk_read_done(struct tevent_req *req);

static void bulk_write_next(struct bulk *b)
{
	uint64_t n = b->total - b->written;
	struct iovec iov = { .iov_base = b->wbuf, .iov_len = n < CHUNK ? n : CHUNK };
	struct tevent_req *req = tstream_writev_send(b->mem, b->ev, b->w, &iov, 1);
	tevent_req_set_callback(req, bulk_write_done, b);
}

static void bulk_write_done(struct tevent_req *req)
{
	struct bulk *b = (struct bulk *)tevent_req_callback_data_void(req);
	int perrno = 0;
	int ret = tstream_writev_recv(req, &perrno);
	talloc_free(req);
	if (ret < 0) die("writev", perrno);
	b->written += ret;
	if (b->written < b->total) bulk_write_next(b);
}

static void bulk_read_next(struct bulk *b)
{
	uint64_t n = b->total - b->nread;
	struct iovec iov = { .iov_base = b->rbuf, .iov_len = n < CHUNK ? n : CHUNK };
	struct tevent_req *req = tstream_readv_send(b->mem, b->ev, b->r, &iov, 1);
	tevent_req_set_callback(req, bulk_read_done, b);
}

static void bulk_read_done(struct tevent_req *req)
{
	struct bulk *b = (struct bulk *)tevent_req_callback_data_void(req);
	int perrno = 0;
	int ret = tstream_readv_recv(req, &perrno);
	talloc_free(req);
	if (ret < 0) die("readv", perrno);
	b->nread += ret;
	if (b->nread < b->total) bulk_read_next(b);
	else b->finished = true;
}

static double w2(uint64_t total, bool tcp)
{
	TALLOC_CTX *mem = talloc_new(NULL);
	struct bulk b = { .ev = tevent_context_init(mem), .mem = mem, .total = total };
	if (tcp) tcp_pair(mem, &b.w, &b.r); else unix_pair(mem, &b.w, &b.r);
	b.wbuf = talloc_zero_array(mem, uint8_t, CHUNK);
	b.rbuf = talloc_zero_array(mem, uint8_t, CHUNK);
	memset(b.wbuf, 0x5a, CHUNK);
	double t0 = now();
	bulk_write_next(&b);
	bulk_read_next(&b);
	loop_until(b.ev, &b.finished);
	double t = now() - t0;
	talloc_free(mem);
	return t;
}

/* ---------------- W3 small PDUs ---------------- */

#define PDU_BODY 60
#define PDU_LEN (4 + PDU_BODY)
#define PDUS_PER_BLOCK 1024

struct pdus {
	struct tevent_context *ev;
	TALLOC_CTX *mem;
	struct tstream_context *w, *r;
	uint8_t *block;
	uint64_t total, sent, got;
	uint8_t hdr[4];
	uint8_t body[65536];
	int stage;
	uint64_t check;
	bool finished;
};

static void pdus_write_done(struct tevent_req *req);
static void pdus_read_done(struct tevent_req *req);

static void pdus_write_next(struct pdus *p)
{
	uint64_t n = p->total - p->sent;
	if (n > PDUS_PER_BLOCK) n = PDUS_PER_BLOCK;
	struct iovec iov = { .iov_base = p->block, .iov_len = n * PDU_LEN };
	struct tevent_req *req = tstream_writev_send(p->mem, p->ev, p->w, &iov, 1);
	tevent_req_set_callback(req, pdus_write_done, p);
	p->sent += n;
}

static void pdus_write_done(struct tevent_req *req)
{
	struct pdus *p = (struct pdus *)tevent_req_callback_data_void(req);
	int perrno = 0;
	int ret = tstream_writev_recv(req, &perrno);
	talloc_free(req);
	if (ret < 0) die("writev", perrno);
	if (p->sent < p->total) pdus_write_next(p);
}

static int pdu_next_vector(struct tstream_context *stream, void *private_data,
			   TALLOC_CTX *mem_ctx, struct iovec **_vector, size_t *_count)
{
	struct pdus *p = private_data;
	struct iovec *v;
	(void)stream;
	if (p->stage == 0) {
		/* readv_pdu talloc_free()s the vector: it must live on mem_ctx */
		v = talloc_array(mem_ctx, struct iovec, 1);
		v->iov_base = p->hdr;
		v->iov_len = 4;
		p->stage = 1;
		*_vector = v;
		*_count = 1;
		return 0;
	}
	if (p->stage == 1) {
		uint32_t len = ((uint32_t)p->hdr[0] << 24) | (p->hdr[1] << 16) | (p->hdr[2] << 8) | p->hdr[3];
		if (len > sizeof(p->body)) { errno = EPROTO; return -1; }
		v = talloc_array(mem_ctx, struct iovec, 1);
		v->iov_base = p->body;
		v->iov_len = len;
		p->stage = 2;
		*_vector = v;
		*_count = 1;
		return 0;
	}
	*_vector = NULL;
	*_count = 0;
	return 0;
}

static void pdus_read_next(struct pdus *p)
{
	p->stage = 0;
	struct tevent_req *req = tstream_readv_pdu_send(p->mem, p->ev, p->r, pdu_next_vector, p);
	tevent_req_set_callback(req, pdus_read_done, p);
}

static void pdus_read_done(struct tevent_req *req)
{
	struct pdus *p = (struct pdus *)tevent_req_callback_data_void(req);
	int perrno = 0;
	int ret = tstream_readv_pdu_recv(req, &perrno);
	talloc_free(req);
	if (ret < 0) die("readv_pdu", perrno);
	p->check += p->body[0];
	if (++p->got < p->total) pdus_read_next(p);
	else p->finished = true;
}

static uint8_t *pdu_block(TALLOC_CTX *mem)
{
	uint8_t *blk = talloc_zero_array(mem, uint8_t, PDUS_PER_BLOCK * PDU_LEN);
	for (int i = 0; i < PDUS_PER_BLOCK; i++) {
		uint8_t *q = blk + i * PDU_LEN;
		q[3] = PDU_BODY;
		memset(q + 4, i & 0xff, PDU_BODY);
	}
	return blk;
}

static double w3(uint64_t n)
{
	TALLOC_CTX *mem = talloc_new(NULL);
	struct pdus *p = talloc_zero(mem, struct pdus);
	p->ev = tevent_context_init(mem);
	p->mem = mem;
	p->total = n;
	unix_pair(mem, &p->w, &p->r);
	p->block = pdu_block(mem);
	double t0 = now();
	pdus_write_next(p);
	pdus_read_next(p);
	loop_until(p->ev, &p->finished);
	double t = now() - t0;
	talloc_free(mem);
	return t;
}

/* ---------------- W4 ping-pong ---------------- */

#define MSG 64

struct pp {
	struct tevent_context *ev;
	TALLOC_CTX *mem;
	uint64_t total, n;
	bool finished;
	/* udp */
	struct tdgram_context *da, *db;
	/* unix */
	struct tstream_context *sa, *sb;
	uint8_t abuf[MSG], bbuf[MSG];
};

static void udp_b_recv_done(struct tevent_req *req);
static void udp_b_send_done(struct tevent_req *req);
static void udp_a_send_done(struct tevent_req *req);
static void udp_a_recv_done(struct tevent_req *req);

static void udp_b_listen(struct pp *p)
{
	struct tevent_req *req = tdgram_recvfrom_send(p->mem, p->ev, p->db);
	tevent_req_set_callback(req, udp_b_recv_done, p);
}

static void udp_b_recv_done(struct tevent_req *req)
{
	struct pp *p = (struct pp *)tevent_req_callback_data_void(req);
	int perrno = 0;
	uint8_t *buf = NULL;
	ssize_t ret = tdgram_recvfrom_recv(req, &perrno, p->mem, &buf, NULL);
	if (ret < 0) die("recvfrom b", perrno);
	memcpy(p->bbuf, buf, ret < MSG ? ret : MSG);
	talloc_free(req); /* buf is a child of p->mem, not req */
	talloc_free(buf);
	req = tdgram_sendto_send(p->mem, p->ev, p->db, p->bbuf, ret, NULL);
	tevent_req_set_callback(req, udp_b_send_done, p);
}

static void udp_b_send_done(struct tevent_req *req)
{
	struct pp *p = (struct pp *)tevent_req_callback_data_void(req);
	int perrno = 0;
	ssize_t ret = tdgram_sendto_recv(req, &perrno);
	talloc_free(req);
	if (ret < 0) die("sendto b", perrno);
	udp_b_listen(p);
}

static void udp_a_ping(struct pp *p)
{
	struct tevent_req *req = tdgram_sendto_send(p->mem, p->ev, p->da, p->abuf, MSG, NULL);
	tevent_req_set_callback(req, udp_a_send_done, p);
}

static void udp_a_send_done(struct tevent_req *req)
{
	struct pp *p = (struct pp *)tevent_req_callback_data_void(req);
	int perrno = 0;
	ssize_t ret = tdgram_sendto_recv(req, &perrno);
	talloc_free(req);
	if (ret < 0) die("sendto a", perrno);
	req = tdgram_recvfrom_send(p->mem, p->ev, p->da);
	tevent_req_set_callback(req, udp_a_recv_done, p);
}

static void udp_a_recv_done(struct tevent_req *req)
{
	struct pp *p = (struct pp *)tevent_req_callback_data_void(req);
	int perrno = 0;
	uint8_t *buf = NULL;
	ssize_t ret = tdgram_recvfrom_recv(req, &perrno, p->mem, &buf, NULL);
	talloc_free(req);
	if (ret != MSG) die("recvfrom a", perrno);
	talloc_free(buf);
	if (++p->n < p->total) udp_a_ping(p);
	else p->finished = true;
}

static double w4_udp(uint64_t n)
{
	TALLOC_CTX *mem = talloc_new(NULL);
	struct pp *p = talloc_zero(mem, struct pp);
	p->ev = tevent_context_init(mem);
	p->mem = mem;
	p->total = n;
	/* two connected sockets on free ports (same method as the JS side) */
	for (int tries = 0;; tries++) {
		int pa = 20000 + (int)((getpid() * 7 + tries * 2) % 30000);
		int pb = pa + 1;
		struct tsocket_address *la, *lb;
		tsocket_address_inet_from_strings(mem, "ip", "127.0.0.1", pa, &la);
		tsocket_address_inet_from_strings(mem, "ip", "127.0.0.1", pb, &lb);
		if (tdgram_inet_udp_socket(la, lb, mem, &p->da) != 0) { if (tries < 50) continue; die("udp a", errno); }
		if (tdgram_inet_udp_socket(lb, la, mem, &p->db) != 0) {
			TALLOC_FREE(p->da);
			if (tries < 50) continue;
			die("udp b", errno);
		}
		break;
	}
	memset(p->abuf, 0x61, MSG);
	double t0 = now();
	udp_b_listen(p);
	udp_a_ping(p);
	loop_until(p->ev, &p->finished);
	double t = now() - t0;
	talloc_free(mem);
	return t;
}

static void us_b_read_done(struct tevent_req *req);
static void us_b_write_done(struct tevent_req *req);
static void us_a_write_done(struct tevent_req *req);
static void us_a_read_done(struct tevent_req *req);

static void us_b_listen(struct pp *p)
{
	struct iovec iov = { .iov_base = p->bbuf, .iov_len = MSG };
	struct tevent_req *req = tstream_readv_send(p->mem, p->ev, p->sb, &iov, 1);
	tevent_req_set_callback(req, us_b_read_done, p);
}

static void us_b_read_done(struct tevent_req *req)
{
	struct pp *p = (struct pp *)tevent_req_callback_data_void(req);
	int perrno = 0;
	int ret = tstream_readv_recv(req, &perrno);
	talloc_free(req);
	if (ret != MSG) die("readv b", perrno);
	struct iovec iov = { .iov_base = p->bbuf, .iov_len = MSG };
	req = tstream_writev_send(p->mem, p->ev, p->sb, &iov, 1);
	tevent_req_set_callback(req, us_b_write_done, p);
}

static void us_b_write_done(struct tevent_req *req)
{
	struct pp *p = (struct pp *)tevent_req_callback_data_void(req);
	int perrno = 0;
	int ret = tstream_writev_recv(req, &perrno);
	talloc_free(req);
	if (ret != MSG) die("writev b", perrno);
	us_b_listen(p);
}

static void us_a_ping(struct pp *p)
{
	struct iovec iov = { .iov_base = p->abuf, .iov_len = MSG };
	struct tevent_req *req = tstream_writev_send(p->mem, p->ev, p->sa, &iov, 1);
	tevent_req_set_callback(req, us_a_write_done, p);
}

static void us_a_write_done(struct tevent_req *req)
{
	struct pp *p = (struct pp *)tevent_req_callback_data_void(req);
	int perrno = 0;
	int ret = tstream_writev_recv(req, &perrno);
	talloc_free(req);
	if (ret != MSG) die("writev a", perrno);
	struct iovec iov = { .iov_base = p->abuf, .iov_len = MSG };
	req = tstream_readv_send(p->mem, p->ev, p->sa, &iov, 1);
	tevent_req_set_callback(req, us_a_read_done, p);
}

static void us_a_read_done(struct tevent_req *req)
{
	struct pp *p = (struct pp *)tevent_req_callback_data_void(req);
	int perrno = 0;
	int ret = tstream_readv_recv(req, &perrno);
	talloc_free(req);
	if (ret != MSG) die("readv a", perrno);
	if (++p->n < p->total) us_a_ping(p);
	else p->finished = true;
}

static double w4_unix(uint64_t n)
{
	TALLOC_CTX *mem = talloc_new(NULL);
	struct pp *p = talloc_zero(mem, struct pp);
	p->ev = tevent_context_init(mem);
	p->mem = mem;
	p->total = n;
	unix_pair(mem, &p->sa, &p->sb);
	memset(p->abuf, 0x61, MSG);
	double t0 = now();
	us_b_listen(p);
	us_a_ping(p);
	loop_until(p->ev, &p->finished);
	double t = now() - t0;
	talloc_free(mem);
	return t;
}

/* ---------------- W5 memory per idle pair ---------------- */

static long rss_bytes(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f == NULL) return 0;
	if (fscanf(f, "%ld %ld", &pages, &rss) != 2) rss = 0;
	fclose(f);
	return rss * sysconf(_SC_PAGESIZE);
}

static uint8_t dummy_byte[2];

static void w5_timer(struct tevent_context *ev, struct tevent_timer *te, struct timeval now_tv, void *pd)
{
	(void)ev; (void)te; (void)now_tv;
	*(bool *)pd = true;
}

static double w5(uint64_t n, bool reading, double *per_pair)
{
	TALLOC_CTX *mem = talloc_new(NULL);
	struct tevent_context *ev = tevent_context_init(mem);
	long before = rss_bytes();
	double t0 = now();
	for (uint64_t i = 0; i < n; i++) {
		struct tstream_context *a, *b;
		unix_pair(mem, &a, &b);
		if (reading) {
			struct iovec iov = { .iov_base = &dummy_byte[0], .iov_len = 1 };
			tstream_readv_send(mem, ev, a, &iov, 1);
			iov.iov_base = &dummy_byte[1];
			tstream_readv_send(mem, ev, b, &iov, 1);
		}
	}
	/* one loop pass (a 1 ms timer) so the backend registers the fds */
	bool fired = false;
	tevent_add_timer(ev, mem, tevent_timeval_current_ofs(0, 1000), w5_timer, &fired);
	while (!fired) tevent_loop_once(ev);
	double t = now() - t0;
	long after = rss_bytes();
	*per_pair = (double)(after - before) / n;
	talloc_free(mem);
	return t;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: tbench <workload> <size>\n");
		return 2;
	}
	const char *w = argv[1];
	uint64_t n = strtoull(argv[2], NULL, 10);
	uint64_t warm = n;
	double t = 0, per_pair = 0;
	if (strcmp(w, "w1") == 0) { w1(warm); t = w1(n); }
	else if (strcmp(w, "w2-unix") == 0) { w2(warm, false); t = w2(n, false); }
	else if (strcmp(w, "w2-tcp") == 0) { w2(warm, true); t = w2(n, true); }
	else if (strcmp(w, "w3") == 0) { w3(warm); t = w3(n); }
	else if (strcmp(w, "w4-udp") == 0) { w4_udp(warm); t = w4_udp(n); }
	else if (strcmp(w, "w4-unix") == 0) { w4_unix(warm); t = w4_unix(n); }
	else if (strcmp(w, "w5-idle") == 0) { t = w5(n, false, &per_pair); }
	else if (strcmp(w, "w5-reading") == 0) { t = w5(n, true, &per_pair); }
	else { fprintf(stderr, "tbench: unknown workload %s\n", w); return 2; }
	if (strncmp(w, "w5", 2) == 0)
		printf("{\"workload\":\"%s\",\"impl\":\"c\",\"size\":%llu,\"seconds\":%.9f,\"bytesPerPair\":%.1f}\n",
		       w, (unsigned long long)n, t, per_pair);
	else
		printf("{\"workload\":\"%s\",\"impl\":\"c\",\"size\":%llu,\"seconds\":%.9f}\n",
		       w, (unsigned long long)n, t);
	return 0;
}
