import CLinux

/// What a registered descriptor wants to hear about.
public struct IOInterest: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let readable = IOInterest(rawValue: 1 << 0)
    public static let writable = IOInterest(rawValue: 1 << 1)

    var epollEvents: UInt32 {
        var events: UInt32 = 0
        if contains(.readable) { events |= EPOLLIN.rawValue }
        if contains(.writable) { events |= EPOLLOUT.rawValue }
        return events
    }
}

/// What happened to a registered descriptor. `loopShutdown` is delivered once when its loop stops, so
/// the owner can release the descriptor.
public struct IOEvents: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let readable = IOEvents(rawValue: 1 << 0)
    public static let writable = IOEvents(rawValue: 1 << 1)
    public static let hangup = IOEvents(rawValue: 1 << 2)
    public static let error = IOEvents(rawValue: 1 << 3)
    public static let loopShutdown = IOEvents(rawValue: 1 << 4)

    init(epoll events: UInt32) {
        var set: IOEvents = []
        if events & EPOLLIN.rawValue != 0 { set.insert(.readable) }
        if events & EPOLLOUT.rawValue != 0 { set.insert(.writable) }
        if events & (EPOLLHUP.rawValue | EPOLLRDHUP.rawValue) != 0 { set.insert(.hangup) }
        if events & EPOLLERR.rawValue != 0 { set.insert(.error) }
        self = set
    }
}

/// Names one registration on one loop. Registrations are keyed by this id, not by the descriptor,
/// so an event already fetched for a closed descriptor never reaches whoever reuses its number.
public struct IORegistration: Sendable, Hashable {
    let id: UInt64
}

/// Names one scheduled timer on one loop; pass it to `EventLoop.cancelTimer`.
public struct TimerToken: Sendable, Hashable {
    let id: UInt64
}
