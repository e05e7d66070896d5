/// Bounds the parser enforces while it scans, so no request can make it buffer more than these.
public struct HTTPLimits: Sendable, Hashable {
    /// Longest request-line, CRLF excluded (and any empty lines before it included) → 414.
    public var maxRequestLineBytes: Int
    /// Largest header section: every field line with its CRLF, the final empty line excluded. A
    /// chunked body's trailer section counts against the same budget → 431.
    public var maxHeaderBytes: Int
    /// Most field lines in the header section (plus trailer section) → 431.
    public var maxHeaderCount: Int
    /// Largest body, from `Content-Length` before any body byte is read, or decoded chunked → 413.
    public var maxBodyBytes: Int
    /// Longest chunk-size line (size and extensions, CRLF excluded) → 400.
    public var maxChunkLineBytes: Int
    /// When true, a request whose `Content-Length` exceeds `maxBodyBytes` is delivered head-only
    /// with `bodyTooLarge` set and `keepAlive` false (the rest of the input is discarded), so the
    /// application can answer its own route, method and caller checks before the 413. A chunked
    /// body that grows past the limit is still answered 413 by the parser.
    public var deliverOversizeRequests = false

    public init(
        maxRequestLineBytes: Int = 8 * 1024, maxHeaderBytes: Int = 16 * 1024, maxHeaderCount: Int = 100,
        maxBodyBytes: Int = 64 * 1024, maxChunkLineBytes: Int = 1024
    ) {
        self.maxRequestLineBytes = maxRequestLineBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
        self.maxChunkLineBytes = maxChunkLineBytes
    }
}
