// fd events (tevent_fd.c, the fd half of tevent_epoll.c) over real sockets.
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { closeSync, fstatSync, mkdtempSync, openSync, rmSync, constants as fsConstants, writeSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  EAGAIN, EBADF, EINVAL, EPIPE, getErrno, setErrno, tallocFree, tallocIsFreed, tallocNew, teventAddFd,
  teventAddTimer, teventContextInit, teventFdGetFlags, teventFdGetStream, teventFdGetTag, teventFdRead,
  teventFdSetAutoClose, teventFdSetCloseFn, teventFdSetFlags, teventFdSetTag, teventFdWrite, teventLoopOnce,
  teventLoopWait, teventSetTraceFdCallback, teventTimevalCurrentOfs, TeventContext, TeventFd,
  TEVENT_FD_NOT_READABLE, TEVENT_FD_NOT_WRITEABLE, TEVENT_FD_READ, TEVENT_FD_READABLE, TEVENT_FD_WRITE,
  TEVENT_FD_WRITEABLE,
} from "../../index";

const TP = ["ATTACH", "DETACH", "BEFORE_HANDLER"];

type Pair = [net.Socket, net.Socket];

let tmp: string;
let server: net.Server;
const open: net.Socket[] = [];

/* A connected pair of unix-domain stream sockets: [client, accepted]. */
async function socketPair(): Promise<Pair> {
  const accepted = new Promise<net.Socket>((resolve) => server.once("connection", resolve));
  const client = await new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect(join(tmp, "srv.sock"), () => resolve(s));
    s.once("error", reject);
  });
  const peer = await accepted;
  open.push(client, peer);
  return [client, peer];
}

/* A connected TCP pair on 127.0.0.1: [client, accepted]. */
async function tcpPair(): Promise<Pair> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const port = (srv.address() as net.AddressInfo).port;
  const accepted = new Promise<net.Socket>((resolve) => srv.once("connection", resolve));
  const client = await new Promise<net.Socket>((resolve) => {
    const s = net.connect(port, "127.0.0.1", () => resolve(s));
  });
  const peer = await accepted;
  srv.close();
  open.push(client, peer);
  return [client, peer];
}

/* Wait until s has n bytes buffered (data sent by the peer has arrived). */
async function buffered(s: net.Socket, n: number): Promise<void> {
  const deadline = Date.now() + 2000;
  while (s.readableLength < n) {
    if (Date.now() > deadline) throw new Error(`only ${s.readableLength} of ${n} bytes arrived`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/* Everything the peer receives until it has n bytes. */
function receive(s: net.Socket, n: number): Promise<string> {
  return new Promise((resolve) => {
    let got = "";
    const onData = (d: Buffer): void => {
      got += d.toString();
      if (got.length >= n) {
        s.removeListener("data", onData);
        resolve(got);
      }
    };
    s.on("data", onData);
  });
}

const str = (buf: Uint8Array, n: number): string => Buffer.from(buf.subarray(0, n)).toString();

describe("tevent fd events", () => {
  let ev: TeventContext;

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), "tevent-fd-"));
    server = net.createServer({ allowHalfOpen: true });
    await new Promise<void>((resolve) => server.listen(join(tmp, "srv.sock"), resolve));
  });

  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(tmp, { recursive: true, force: true });
  });

  beforeEach(() => {
    ev = teventContextInit(null);
  });

  afterEach(() => {
    tallocFree(ev);
    for (const s of open.splice(0)) s.destroy();
  });

  it("fires TEVENT_FD_READ with (ev, fde, flags, privateData) when data arrives on a net.Socket", async () => {
    const [a, b] = await socketPair();
    const calls: unknown[][] = [];
    const pvt = { p: 1 };
    const fde = teventAddFd(ev, ev, a, TEVENT_FD_READ, (e, f, flags, p) => {
      calls.push([e, f, flags, p]);
      const buf = new Uint8Array(16);
      const n = teventFdRead(f, buf, 16);
      calls.push([n, str(buf, n)]);
    }, pvt) as TeventFd;
    expect(fde).to.be.instanceOf(TeventFd);
    expect(fde.fd).to.be.a("number").and.to.be.greaterThan(2);
    expect(teventFdGetStream(fde)).to.equal(a);
    expect(teventFdGetFlags(fde)).to.equal(TEVENT_FD_READ);
    b.write("hello");
    expect(await teventLoopOnce(ev)).to.equal(0);
    expect(calls).to.deep.equal([[ev, fde, TEVENT_FD_READ, pvt], [5, "hello"]]);
    expect(calls[0][0]).to.equal(ev);
    expect(calls[0][1]).to.equal(fde);
    expect(calls[0][3]).to.equal(pvt);
  });

  it("teventFdRead is read(2): exact counts, -1/EAGAIN when empty, 0 at end of stream", async () => {
    const [a, b] = await tcpPair();
    const fde = teventAddFd(ev, ev, a, 0, () => undefined, null) as TeventFd;
    const buf = new Uint8Array(8);
    setErrno(0);
    expect(teventFdRead(fde, buf, 8)).to.equal(-1);
    expect(getErrno()).to.equal(EAGAIN);
    b.write("abcdefghijk");
    await buffered(a, 11);
    expect(teventFdRead(fde, buf, 3)).to.equal(3);
    expect(str(buf, 3)).to.equal("abc");
    expect(teventFdRead(fde, buf, 0)).to.equal(0);
    expect(teventFdRead(fde, buf, 8)).to.equal(8);
    expect(str(buf, 8)).to.equal("defghijk");
    setErrno(0);
    expect(teventFdRead(fde, buf, 8)).to.equal(-1);
    expect(getErrno()).to.equal(EAGAIN);
    setErrno(0);
    expect(teventFdRead(fde, buf, 9)).to.equal(-1);
    expect(getErrno()).to.equal(EINVAL);
    b.end();
    /* end of stream makes the fd readable; read returns 0, again and again */
    const flags: number[] = [];
    teventFdSetFlags(fde, TEVENT_FD_READ);
    teventFdSetTag(fde, 0);
    const fde2 = teventAddFd(ev, ev, a, TEVENT_FD_READ, (_e, f, fl) => {
      flags.push(fl, teventFdRead(f, buf, 8), teventFdRead(f, buf, 8));
      tallocFree(f);
    }, null);
    tallocFree(fde);
    expect(fde2).to.not.equal(null);
    expect(await teventLoopOnce(ev)).to.equal(0);
    expect(flags).to.deep.equal([TEVENT_FD_READ, 0, 0]);
  });

  it("fires TEVENT_FD_WRITE when writable; teventFdWrite is write(2)", async () => {
    const [a, b] = await socketPair();
    const got = receive(b, 5);
    const log: string[] = [];
    const fde = teventAddFd(ev, ev, a, TEVENT_FD_WRITE, (_e, f, flags) => {
      log.push(`flags ${flags}`);
      log.push(`write ${teventFdWrite(f, Buffer.from("abc"), 3)}`);
      log.push(`write ${teventFdWrite(f, Buffer.from("dexyz"), 2)}`);
      TEVENT_FD_NOT_WRITEABLE(f);
    }, null) as TeventFd;
    expect(await teventLoopOnce(ev)).to.equal(0);
    expect(log).to.deep.equal([`flags ${TEVENT_FD_WRITE}`, "write 3", "write 2"]);
    expect(await got).to.equal("abcde");
    expect(teventFdGetFlags(fde)).to.equal(0);
    setErrno(0);
    expect(teventFdWrite(fde, Buffer.from("x"), 2)).to.equal(-1);
    expect(getErrno()).to.equal(EINVAL);
    a.destroy();
    setErrno(0);
    expect(teventFdWrite(fde, Buffer.from("x"), 1)).to.equal(-1);
    expect(getErrno()).to.equal(EPIPE);
  });

  it("READ and WRITE ready together come in one call with flags 3 (checked against libtevent)", async () => {
    const [a, b] = await socketPair();
    const flags: number[] = [];
    teventAddFd(ev, ev, a, TEVENT_FD_READ | TEVENT_FD_WRITE, (_e, f, fl) => {
      flags.push(fl);
      tallocFree(f);
    }, null);
    b.write("x");
    await buffered(a, 1);
    expect(await teventLoopOnce(ev)).to.equal(0);
    expect(flags).to.deep.equal([TEVENT_FD_READ | TEVENT_FD_WRITE]);
  });

  it("set/get flags and the TEVENT_FD_READABLE/... helpers (checked against libtevent)", async () => {
    const [a] = await socketPair();
    const fde = teventAddFd(ev, ev, a, TEVENT_FD_READ | TEVENT_FD_WRITE, () => undefined, null) as TeventFd;
    const seen: number[] = [];
    teventFdSetFlags(fde, 0);
    seen.push(teventFdGetFlags(fde));
    TEVENT_FD_WRITEABLE(fde);
    seen.push(teventFdGetFlags(fde));
    TEVENT_FD_READABLE(fde);
    seen.push(teventFdGetFlags(fde));
    TEVENT_FD_NOT_WRITEABLE(fde);
    seen.push(teventFdGetFlags(fde));
    TEVENT_FD_NOT_READABLE(fde);
    seen.push(teventFdGetFlags(fde));
    seen.push(teventFdGetFlags(null));
    expect(seen).to.deep.equal([0, 2, 3, 1, 0, 0]);
    teventFdSetFlags(null, TEVENT_FD_READ); /* C ignores a NULL fde */
  });

  it("with flags 0 the handler is not called although data waits; enabling READ calls it", async () => {
    const [a, b] = await socketPair();
    const log: string[] = [];
    const fde = teventAddFd(ev, ev, a, 0, (_e, _f, flags) => log.push(`fd ${flags}`), null) as TeventFd;
    b.write("data");
    await buffered(a, 4);
    teventAddTimer(ev, ev, teventTimevalCurrentOfs(0, 20000), () => log.push("timer"), null);
    expect(await teventLoopOnce(ev)).to.equal(0);
    expect(log).to.deep.equal(["timer"]);
    TEVENT_FD_READABLE(fde);
    expect(await teventLoopOnce(ev)).to.equal(0);
    expect(log).to.deep.equal(["timer", `fd ${TEVENT_FD_READ}`]);
  });

  it("enabling flags from a Node.js callback wakes a loop that waits", async () => {
    const [a] = await socketPair();
    const log: string[] = [];
    const fde = teventAddFd(ev, ev, a, 0, (_e, f, flags) => {
      log.push(`fd ${flags}`);
      tallocFree(f);
    }, null) as TeventFd;
    teventAddTimer(ev, ev, teventTimevalCurrentOfs(5, 0), () => log.push("timer"), null);
    const t0 = Date.now();
    setTimeout(() => TEVENT_FD_WRITEABLE(fde), 10);
    expect(await teventLoopOnce(ev)).to.equal(0);
    expect(log).to.deep.equal([`fd ${TEVENT_FD_WRITE}`]);
    expect(Date.now() - t0).to.be.lessThan(2000);
  });

  it("adding an fd event from a Node.js callback wakes a loop that waits", async () => {
    const [a] = await socketPair();
    const log: string[] = [];
    teventAddTimer(ev, ev, teventTimevalCurrentOfs(5, 0), () => log.push("timer"), null);
    const t0 = Date.now();
    setTimeout(() => {
      teventAddFd(ev, ev, a, TEVENT_FD_WRITE, (_e, f, flags) => {
        log.push(`fd ${flags}`);
        tallocFree(f);
      }, null);
    }, 10);
    expect(await teventLoopOnce(ev)).to.equal(0);
    expect(log).to.deep.equal([`fd ${TEVENT_FD_WRITE}`]);
    expect(Date.now() - t0).to.be.lessThan(2000);
  });

  it("is level-triggered: a handler that reads part of the data is called again (checked against libtevent)", async () => {
    const [a, b] = await socketPair();
    const log: string[] = [];
    teventAddFd(ev, ev, a, TEVENT_FD_READ, (_e, f, flags) => {
      const buf = new Uint8Array(3);
      const n = teventFdRead(f, buf, 3);
      log.push(`flags=${flags} read=${n} ${str(buf, n)}`);
    }, null);
    b.write("abcdefg");
    await buffered(a, 7);
    for (let i = 0; i < 3; i++) expect(await teventLoopOnce(ev)).to.equal(0);
    expect(log).to.deep.equal(["flags=1 read=3 abc", "flags=1 read=3 def", "flags=1 read=1 g"]);
  });

  it("runs one fd event per teventLoopOnce, round robin while both stay ready (checked against libtevent)", async () => {
    const [a1, b1] = await socketPair();
    const [a2, b2] = await socketPair();
    const log: string[] = [];
    const h = (_e: TeventContext, _f: TeventFd, flags: number, p: string): void => {
      log.push(`${p} ${flags}`);
    };
    teventAddFd(ev, ev, a1, TEVENT_FD_READ, h, "A");
    teventAddFd(ev, ev, a2, TEVENT_FD_READ, h, "B");
    b1.write("x");
    await buffered(a1, 1);
    b2.write("y");
    await buffered(a2, 1);
    for (let i = 0; i < 3; i++) {
      expect(await teventLoopOnce(ev)).to.equal(0);
      log.push("loop");
    }
    expect(log).to.deep.equal(["A 1", "loop", "B 1", "loop", "A 1", "loop"]);
  });

  it("the close fn gets (ev, fde, fd, privateData) after the trace DETACH (checked against libtevent)", async () => {
    const [a] = await socketPair();
    const log: string[] = [];
    const args: unknown[][] = [];
    teventSetTraceFdCallback(ev, (f, tp, p) => log.push(`${p} ${teventFdGetTag(f)} ${TP[tp]}`), "T");
    const pvt = { p: "a" };
    const fde = teventAddFd(ev, ev, a, TEVENT_FD_READ, () => undefined, pvt) as TeventFd;
    teventFdSetTag(fde, 7);
    const fd = fde.fd;
    teventFdSetCloseFn(fde, (e, f, n, p) => {
      log.push("close_fn");
      args.push([e, f, n, p]);
    });
    expect(tallocFree(fde)).to.equal(0);
    expect(log).to.deep.equal(["T 0 ATTACH", "T 7 DETACH", "close_fn"]);
    expect(args).to.deep.equal([[ev, fde, fd, pvt]]);
    /* a close fn does not close anything by itself */
    expect(a.destroyed).to.equal(false);
  });

  it("auto close closes the socket when the fde is freed; the peer sees end of stream", async () => {
    const [a, b] = await socketPair();
    const ended = new Promise<void>((resolve) => b.once("end", resolve));
    const fde = teventAddFd(ev, ev, a, TEVENT_FD_READ, () => undefined, null) as TeventFd;
    teventFdSetAutoClose(fde);
    expect(a.destroyed).to.equal(false);
    expect(tallocFree(fde)).to.equal(0);
    expect(a.destroyed).to.equal(true);
    await ended;
  });

  it("freeing the fde inside its handler: DETACH and close fn at once, the free returns -1 (checked against libtevent)", async () => {
    const [a, b] = await socketPair();
    const log: string[] = [];
    teventSetTraceFdCallback(ev, (_f, tp) => log.push(TP[tp]));
    const fde = teventAddFd(ev, ev, a, TEVENT_FD_READ, (_e, f, flags) => {
      log.push(`handler ${flags}`);
      log.push(`free ${tallocFree(f)}`);
      log.push("after free");
    }, null) as TeventFd;
    teventFdSetCloseFn(fde, (e, _f, _fd, _p) => log.push(`close_fn ev=${e === ev ? "ev" : "null"}`));
    b.write("x");
    expect(await teventLoopOnce(ev)).to.equal(0);
    expect(log).to.deep.equal([
      "ATTACH", "BEFORE_HANDLER", "handler 1", "DETACH", "close_fn ev=ev", "free -1", "after free",
    ]);
    expect(tallocIsFreed(fde)).to.equal(true);
    /* nothing is left: loop_wait returns at once */
    expect(await teventLoopWait(ev)).to.equal(0);
  });

  it("fd trace callbacks see ATTACH, BEFORE_HANDLER and DETACH with the fde and private data", async () => {
    const [a, b] = await socketPair();
    const log: string[] = [];
    const events: unknown[] = [];
    teventSetTraceFdCallback(ev, (f, tp, p) => {
      events.push(f);
      log.push(`${p} ${TP[tp]}`);
    }, "P");
    const fde = teventAddFd(ev, ev, a, TEVENT_FD_READ, (_e, f) => {
      log.push("handler");
      teventFdRead(f, new Uint8Array(4), 4);
    }, null);
    b.write("x");
    expect(await teventLoopOnce(ev)).to.equal(0);
    expect(tallocFree(fde)).to.equal(0);
    expect(log).to.deep.equal(["P ATTACH", "P BEFORE_HANDLER", "handler", "P DETACH"]);
    expect(events).to.deep.equal([fde, fde, fde]);
  });

  it("freeing the context detaches its fds (newest first); the close fn runs later with ev null (checked against libtevent)", async () => {
    const [a1, b1] = await socketPair();
    const [a2] = await socketPair();
    const log: string[] = [];
    const ev2 = teventContextInit(null);
    teventSetTraceFdCallback(ev2, (f, tp) => log.push(`trace ${teventFdGetTag(f)} ${TP[tp]}`));
    const mem = tallocNew(null);
    const closeFn = (e: TeventContext | null, f: TeventFd, _fd: number, p: unknown): void => {
      log.push(`close_fn ev=${e === null ? "null" : "ev"} tag=${teventFdGetTag(f)} pd=${String(p)}`);
    };
    const f1 = teventAddFd(ev2, mem, a1, TEVENT_FD_READ, () => log.push("handler"), "one") as TeventFd;
    teventFdSetTag(f1, 1);
    teventFdSetCloseFn(f1, closeFn);
    const f2 = teventAddFd(ev2, mem, a2, TEVENT_FD_READ, () => log.push("handler"), "two") as TeventFd;
    teventFdSetTag(f2, 2);
    teventFdSetCloseFn(f2, closeFn);
    const f3 = teventAddFd(ev2, mem, a2, TEVENT_FD_WRITE, () => log.push("handler"), "three") as TeventFd;
    teventFdSetTag(f3, 3);
    log.push("free ev");
    expect(tallocFree(ev2)).to.equal(0);
    b1.write("late data");
    await new Promise((r) => setTimeout(r, 20));
    log.push("free mem");
    expect(tallocFree(mem)).to.equal(0);
    expect(log).to.deep.equal([
      "trace 0 ATTACH", "trace 0 ATTACH", "trace 0 ATTACH",
      "free ev", "trace 3 DETACH", "trace 2 DETACH", "trace 1 DETACH",
      "free mem", "close_fn ev=null tag=2 pd=two", "close_fn ev=null tag=1 pd=one",
    ]);
    /* a loop on the freed context fails */
    setErrno(0);
    expect(await teventLoopOnce(ev2)).to.equal(-1);
    expect(getErrno()).to.equal(EINVAL);
  });

  it("returns null with errno EBADF for a descriptor that is not open or negative", () => {
    setErrno(0);
    expect(teventAddFd(ev, ev, -1, TEVENT_FD_READ, () => undefined, null)).to.equal(null);
    expect(getErrno()).to.equal(EBADF);
    setErrno(0);
    expect(teventAddFd(ev, ev, 987654, TEVENT_FD_READ, () => undefined, null)).to.equal(null);
    expect(getErrno()).to.equal(EBADF);
  });

  describe("with a numeric descriptor (a FIFO opened read-write)", () => {
    let fd = -1;

    beforeEach(() => {
      const path = join(tmp, `fifo-${Date.now()}-${Math.random().toString(16).slice(2)}`);
      execFileSync("mkfifo", [path]);
      fd = openSync(path, fsConstants.O_RDWR);
    });

    afterEach(() => {
      try {
        closeSync(fd);
      } catch {
        /* closed by auto close */
      }
    });

    it("reads and writes through the descriptor; auto close closes it", async () => {
      const log: string[] = [];
      const fde = teventAddFd(ev, ev, fd, TEVENT_FD_READ, (_e, f, flags, p) => {
        const buf = new Uint8Array(16);
        const n = teventFdRead(f, buf, 16);
        log.push(`${p} flags=${flags} read=${n} ${str(buf, n)}`);
      }, "pvt") as TeventFd;
      expect(fde.fd).to.equal(fd);
      /* what is written into the FIFO comes back out of it */
      expect(teventFdWrite(fde, Buffer.from("hello"), 5)).to.equal(5);
      expect(await teventLoopOnce(ev)).to.equal(0);
      writeSync(fd, "xyz");
      expect(await teventLoopOnce(ev)).to.equal(0);
      expect(log).to.deep.equal(["pvt flags=1 read=5 hello", "pvt flags=1 read=3 xyz"]);
      teventFdSetAutoClose(fde);
      expect(tallocFree(fde)).to.equal(0);
      expect(() => fstatSync(fd)).to.throw().with.property("code", "EBADF");
    });

    it("without auto close the descriptor stays open and a new fd event sees data written meanwhile", async () => {
      const first = teventAddFd(ev, ev, fd, TEVENT_FD_READ, () => undefined, null);
      expect(tallocFree(first)).to.equal(0);
      expect(fstatSync(fd).isFIFO()).to.equal(true);
      writeSync(fd, "abc");
      await new Promise((r) => setTimeout(r, 20));
      const log: string[] = [];
      const second = teventAddFd(ev, ev, fd, TEVENT_FD_READ, (_e, f, flags) => {
        const buf = new Uint8Array(8);
        const n = teventFdRead(f, buf, 8);
        log.push(`flags=${flags} read=${n} ${str(buf, n)}`);
      }, null) as TeventFd;
      expect(await teventLoopOnce(ev)).to.equal(0);
      expect(log).to.deep.equal(["flags=1 read=3 abc"]);
      expect(tallocFree(second)).to.equal(0);
      expect(fstatSync(fd).isFIFO()).to.equal(true);
    });
  });
});
