// API.md, "Objects with methods", for the tsocket contexts.

import { tdgramBsdOptimizeRecvfrom } from "./bsd/dgram";
import { tstreamBsdOptimizeReadv } from "./bsd/stream";
import { TdgramContext, tdgramContextData } from "./dgram";
import { TstreamContext, tstreamContextData } from "./stream";

declare module "./stream" {
  interface TstreamContext<S> {
    contextData(): S;
    bsdOptimizeReadv(on: boolean): boolean;
  }
}
declare module "./dgram" {
  interface TdgramContext<S> {
    contextData(): S;
    bsdOptimizeRecvfrom(on: boolean): boolean;
  }
}

function define(proto: object, methods: Record<string, unknown>): void {
  for (const [name, fn] of Object.entries(methods)) {
    Object.defineProperty(proto, name, { value: fn, writable: true, configurable: true, enumerable: false });
  }
}

define(TstreamContext.prototype, {
  contextData(this: TstreamContext) { return tstreamContextData(this); },
  bsdOptimizeReadv(this: TstreamContext, on: boolean) { return tstreamBsdOptimizeReadv(this, on); },
});
define(TdgramContext.prototype, {
  contextData(this: TdgramContext) { return tdgramContextData(this); },
  bsdOptimizeRecvfrom(this: TdgramContext, on: boolean) { return tdgramBsdOptimizeRecvfrom(this, on); },
});
