// VerifierService
