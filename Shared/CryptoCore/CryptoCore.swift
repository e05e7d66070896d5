// CryptoCore
