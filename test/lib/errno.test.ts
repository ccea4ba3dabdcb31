import { expect } from "chai";
import * as lib from "../../index";
import { EAGAIN, ECONNREFUSED, EINVAL, EPIPE, ENOENT, errnoFromNodeError, errnoName, EWOULDBLOCK, strerror } from "../../index";

describe("errno (Linux x86_64 values, glibc texts)", () => {
  it("has Linux's numbers", () => {
    expect([lib.EPERM, ENOENT, lib.EBADF, EAGAIN, lib.ENOMEM, EINVAL, EPIPE, lib.ENAMETOOLONG, lib.ELOOP,
      lib.EPROTO, lib.EMSGSIZE, lib.ENOTSOCK, lib.EADDRINUSE, lib.ECONNRESET, lib.ENOTCONN, lib.ETIMEDOUT,
      ECONNREFUSED, lib.EHOSTUNREACH, lib.EBUSY, lib.EMFILE, lib.EAFNOSUPPORT])
      .to.deep.equal([1, 2, 9, 11, 12, 22, 32, 36, 40, 71, 90, 88, 98, 104, 107, 110, 111, 113, 16, 24, 97]);
    expect(EWOULDBLOCK).to.equal(EAGAIN);
  });

  it("strerror gives glibc's texts (checked against glibc)", () => {
    expect(strerror(0)).to.equal("Success");
    expect(strerror(EINVAL)).to.equal("Invalid argument");
    expect(strerror(ECONNREFUSED)).to.equal("Connection refused");
    expect(strerror(EPIPE)).to.equal("Broken pipe");
    expect(strerror(41)).to.equal("Unknown error 41");
    expect(strerror(999)).to.equal("Unknown error 999");
    expect(strerror(-1)).to.equal("Unknown error -1");
  });

  it("names errno values and maps Node.js system errors", () => {
    expect(errnoName(EPIPE)).to.equal("EPIPE");
    expect(errnoName(0)).to.equal("0");
    const e = Object.assign(new Error("x"), { code: "ECONNREFUSED", errno: -111 });
    expect(errnoFromNodeError(e)).to.equal(ECONNREFUSED);
    expect(errnoFromNodeError(Object.assign(new Error("y"), { errno: -2 }))).to.equal(ENOENT);
    expect(errnoFromNodeError(new Error("plain"))).to.equal(lib.EIO);
  });

  it("getErrno returns what the last failing call set", () => {
    lib.setErrno(0);
    expect(lib.tallocFree(null)).to.equal(-1);
    expect(lib.getErrno()).to.equal(EINVAL);
  });
});
