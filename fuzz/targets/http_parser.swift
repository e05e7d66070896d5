// libFuzzer target: the HTTP/1.1 request parser and connection state machine (Shared/HTTPCore).
// HTTPRequestParser.fuzz feeds the bytes whole, split at an input-chosen point, under default and
// tiny limits, and through a connection state machine; it must never crash, trap or hang.
import HTTPCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    HTTPRequestParser.fuzz(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
