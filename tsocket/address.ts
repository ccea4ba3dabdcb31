// The generic half of tsocket_address (tsocket.c and tsocket_internal.h).
//
// A tsocket_address is an abstract endpoint: an ops table (name, string,
// copy) and the private data of the implementation behind it.  The only
// implementation shipped is the BSD one (tsocket/bsd/address.ts); a new kind
// of address is written against tsocketAddressCreate() exactly as C code is
// written against tsocket_address_create().

import {
  TallocCtx, TallocDestructor, TallocLazyOwner, TallocNode, tallocSetName, TALLOC_NODE,
} from "../lib/talloc";
import {
  tsocketAddressBsdSockaddr, tsocketAddressInetAddrString, tsocketAddressInetPort,
  tsocketAddressInetSetPort, tsocketAddressIsInet, tsocketAddressIsUnix, tsocketAddressUnixPath,
} from "./bsd/address";

/** struct tsocket_address_ops: what an implementation provides. */
export interface TsocketAddressOps {
  /** "bsd" for the BSD implementation. */
  readonly name: string;
  /** The debugging string of addr, or null with errno set. */
  string(addr: TsocketAddress, memCtx: TallocCtx): string | null;
  /** A new address equal to addr, child of memCtx, or null with errno set. */
  copy(addr: TsocketAddress, memCtx: TallocCtx): TsocketAddress | null;
}

/**
 * struct tsocket_address.  Created only through tsocketAddressCreate() (the
 * C struct has no public constructor either); the free functions of the
 * public API are also methods here (API.md, "Objects with methods").
 */
export class TsocketAddress implements TallocLazyOwner {
  static readonly tallocName = "struct tsocket_address";
  /*
   * An address is its own talloc node (as a TeventReq is), and its private
   * data is its lazy child (TallocLazyOwner): a node is made for the data
   * only when talloc is asked about it.  A received datagram's sender
   * address is then two objects and its storage, no node objects.
   */
  /* talloc's chunk header (see TallocNode) */
  declare tcParent: TallocNode | null;
  declare tcChild: TallocNode | null;
  declare tcNext: TallocNode | null;
  declare tcPrev: TallocNode | null;
  declare tcDestructor: TallocDestructor<never> | null;
  declare tcFlags: number;
  declare tcName: string | null;
  /** @internal the private data's talloc node, once it has one (TallocLazyOwner) */
  declare dataNode: TallocNode | null;
  /** @internal the name the private data's node gets (TallocLazyOwner) */
  declare typeName: string | undefined;
  /** Where the address was created (C's __location__); the port has no call sites, so a label. */
  declare location: string;
  declare readonly ops: TsocketAddressOps;
  /** The implementation's state (C's private_data): a talloc child of the address. */
  declare readonly privateData: unknown;

  /** @internal use tsocketAddressCreate() */
  constructor(ops: TsocketAddressOps, privateData: unknown, location: string) {
    this.tcParent = null;
    this.tcChild = null;
    this.tcNext = null;
    this.tcPrev = null;
    this.tcDestructor = null;
    this.tcFlags = 0;
    this.tcName = null;
    this.dataNode = null;
    this.typeName = undefined;
    this.location = location;
    this.ops = ops;
    this.privateData = privateData;
  }
  /** @internal */
  get tcPtr(): object { return this; }
  /** @internal */
  get [TALLOC_NODE](): TallocNode { return this; }
  /** @internal the lazy child (TallocLazyOwner): the private data */
  get data(): unknown { return this.privateData; }

  /** tsocket_address_string() */
  string(memCtx: TallocCtx): string | null {
    return tsocketAddressString(this, memCtx);
  }

  /** tsocket_address_copy() */
  copy(memCtx: TallocCtx): TsocketAddress | null {
    return tsocketAddressCopy(this, memCtx);
  }

  /** tsocket_address_is_inet() */
  isInet(fam: string): boolean {
    return tsocketAddressIsInet(this, fam);
  }

  /** tsocket_address_inet_addr_string() */
  inetAddrString(memCtx: TallocCtx): string | null {
    return tsocketAddressInetAddrString(this, memCtx);
  }

  /** tsocket_address_inet_port() */
  inetPort(): number {
    return tsocketAddressInetPort(this);
  }

  /** tsocket_address_inet_set_port() */
  inetSetPort(port: number): number {
    return tsocketAddressInetSetPort(this, port);
  }

  /** tsocket_address_is_unix() */
  isUnix(): boolean {
    return tsocketAddressIsUnix(this);
  }

  /** tsocket_address_unix_path() */
  unixPath(memCtx: TallocCtx): string | null {
    return tsocketAddressUnixPath(this, memCtx);
  }

  /** tsocket_address_bsd_sockaddr() */
  bsdSockaddr(sa: Uint8Array, saSocklen: number): number {
    return tsocketAddressBsdSockaddr(this, sa, saSocklen);
  }
}

function checkAddr(addr: unknown, fn: string): asserts addr is TsocketAddress {
  if (!(addr instanceof TsocketAddress)) {
    throw new TypeError(`${fn}: addr must be a TsocketAddress`);
  }
}

/**
 * _tsocket_address_create() (tsocket_address_create in tsocket_internal.h).
 *
 * C allocates the zeroed private state and hands it back through pstate; as
 * with teventReqCreate(), the caller passes the state object instead and
 * reads it back as addr.privateData.  The address becomes a child of memCtx
 * and the state a child of the address (so talloc_total_blocks() counts
 * them as C does); `type` names the state for tallocGetName(), like C's
 * talloc_set_name_const(private_data, "struct foo").
 */
export function tsocketAddressCreate<T>(memCtx: TallocCtx, ops: TsocketAddressOps, privateData: T,
                                        type?: string, location = "tsocketAddressCreate"): TsocketAddress {
  if (ops === null || typeof ops !== "object" || typeof ops.string !== "function" ||
      typeof ops.copy !== "function") {
    throw new TypeError("tsocketAddressCreate: ops must have string() and copy()");
  }
  const addr = new TsocketAddress(ops, privateData, location);
  TallocNode.attachNew(memCtx, addr);
  if (privateData !== null && (typeof privateData === "object" || typeof privateData === "function")) {
    /* usually the data is the address's lazy child (no node of its own) */
    if ((type === undefined || typeof type === "string") && TallocNode.attachLazy(addr, privateData as object)) {
      addr.typeName = type;
      return addr;
    }
    addr.dataNode = TallocNode.adopt(addr, privateData as object);
    if (type !== undefined) tallocSetName(privateData as object, type);
  }
  return addr;
}

/**
 * tsocket_address_string(): a string for debugging ("ipv4:127.0.0.1:445",
 * "ipv6:::1:445", "unix:/path"), or null with errno set.  A null addr gives
 * "NULL", as in C.
 */
export function tsocketAddressString(addr: TsocketAddress | null, memCtx: TallocCtx): string | null {
  if (addr === null || addr === undefined) {
    return "NULL";
  }
  checkAddr(addr, "tsocketAddressString");
  return addr.ops.string(addr, memCtx);
}

/**
 * tsocket_address_copy(): a copy of addr as a child of memCtx, or null with
 * errno set.  C dereferences a NULL addr; here that is a TypeError.
 */
export function tsocketAddressCopy(addr: TsocketAddress, memCtx: TallocCtx): TsocketAddress | null {
  checkAddr(addr, "tsocketAddressCopy");
  return addr.ops.copy(addr, memCtx);
}
