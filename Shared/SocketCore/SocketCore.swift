// SocketCore
