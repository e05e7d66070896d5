import Testing

/// Tests that start real servers (Python fixtures) run one at a time: each starts an interpreter and
/// several measure time, which a machine busy starting thirty interpreters at once would distort.
@Suite(.serialized) enum LiveServers {}
