// RPCCore
