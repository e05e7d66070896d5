import Testing

@testable import HTTPCore

@Suite struct RouterTests {
    static func router() -> Router<String> {
        var router = Router<String>()
        router.register("POST", "/api/verification-codes", "send")
        router.register("POST", "/api/verification-codes/verify", "verify")
        router.register("GET", "/healthz", "health")
        router.register("PUT", "/api/experience", "start")
        router.register("GET", "/items/:id", "item")
        router.register("DELETE", "/items/:id", "delete item")
        return router
    }

    func handler(_ match: Router<String>.Match) -> String? {
        if case .found(let handler, _) = match { return handler }
        return nil
    }

    @Test func findsExactRoute() {
        #expect(handler(Self.router().match(method: "POST", path: "/api/verification-codes/verify")) == "verify")
    }

    @Test func unknownPathIsNotFound() {
        guard case .notFound = Self.router().match(method: "GET", path: "/nope") else {
            Issue.record("expected notFound")
            return
        }
    }

    @Test func trailingSlashIsADifferentPath() {
        guard case .notFound = Self.router().match(method: "GET", path: "/healthz/") else {
            Issue.record("expected notFound")
            return
        }
    }

    @Test func knownPathWithWrongMethodIs405WithAllow() {
        guard case .methodNotAllowed(let allow) = Self.router().match(method: "GET", path: "/api/verification-codes") else {
            Issue.record("expected methodNotAllowed")
            return
        }
        #expect(allow == ["POST"])
    }

    @Test func allowListsHeadWithGet() {
        guard case .methodNotAllowed(let allow) = Self.router().match(method: "POST", path: "/healthz") else {
            Issue.record("expected methodNotAllowed")
            return
        }
        #expect(allow == ["GET", "HEAD"])
    }

    @Test func headFallsBackToGet() {
        #expect(handler(Self.router().match(method: "HEAD", path: "/healthz")) == "health")
    }

    @Test func methodsAreCaseSensitive() {
        guard case .methodNotAllowed = Self.router().match(method: "get", path: "/healthz") else {
            Issue.record("expected methodNotAllowed")
            return
        }
    }

    @Test func queryStringIsIgnored() {
        #expect(handler(Self.router().match(method: "GET", path: "/healthz?verbose=1")) == "health")
    }

    @Test func matchesARequestByItsPath() {
        let request = HTTPRequest(method: "PUT", target: "/api/experience?x")
        #expect(handler(Self.router().match(request)) == "start")
    }

    @Test func bindsPathParameters() {
        guard case .found(let handler, let params) = Self.router().match(method: "DELETE", path: "/items/42") else {
            Issue.record("expected found")
            return
        }
        #expect(handler == "delete item")
        #expect(params == ["id": "42"])
    }

    @Test func parameterNeedsANonEmptySegment() {
        guard case .notFound = Self.router().match(method: "GET", path: "/items/") else {
            Issue.record("expected notFound")
            return
        }
    }

    @Test func laterRegistrationReplacesEarlier() {
        var router = Self.router()
        router.register("GET", "/healthz", "health v2")
        #expect(handler(router.match(method: "GET", path: "/healthz")) == "health v2")
    }

    @Test func storesAsyncClosures() async {
        var router = Router<@Sendable (HTTPRequest) async -> HTTPResponse>()
        router.register("GET", "/readyz") { _ in .noContent() }
        guard case .found(let handler, _) = router.match(method: "GET", path: "/readyz") else {
            Issue.record("expected found")
            return
        }
        let response = await handler(HTTPRequest(method: "GET", target: "/readyz"))
        #expect(response.status == .noContent)
    }
}

@Suite struct CookieTests {
    @Test func parsesPairs() {
        let cookies = Cookies(parsing: "_interaction=abc.def; theme=dark")
        #expect(cookies["_interaction"] == "abc.def")
        #expect(cookies["theme"] == "dark")
        #expect(cookies["missing"] == nil)
    }

    @Test func toleratesSpacesAndEmptyPieces() {
        let cookies = Cookies(parsing: "  a = 1 ;b=2;; ;\tc=3 ")
        #expect(cookies.pairs == [HTTPField(name: "a", value: "1"), HTTPField(name: "b", value: "2"), HTTPField(name: "c", value: "3")])
    }

    @Test func unquotesValues() {
        #expect(Cookies(parsing: #"a="x y""#)["a"] == "x y")
    }

    @Test func skipsPairsWithoutNameOrEquals() {
        let cookies = Cookies(parsing: "flag; =v; a=1")
        #expect(cookies.pairs == [HTTPField(name: "a", value: "1")])
    }

    @Test func keepsEqualsSignsInValues() {
        #expect(Cookies(parsing: "t=a=b==")["t"] == "a=b==")
    }

    @Test func namesAreCaseSensitiveAndFirstWins() {
        let cookies = Cookies(parsing: "A=1; a=2; a=3")
        #expect(cookies["a"] == "2")
        #expect(cookies["A"] == "1")
    }

    @Test func readsEveryCookieField() {
        let cookies = Cookies(headers: ["Cookie": "a=1", "Accept": "*/*", "cookie": "b=2"])
        #expect(cookies["a"] == "1")
        #expect(cookies["b"] == "2")
    }

    @Test func keepsAtMostMaxCountPairs() {
        let header = (0..<1000).map { "c\($0)=v" }.joined(separator: "; ")
        #expect(Cookies(parsing: header).pairs.count == Cookies.maxCount)
        #expect(Cookies(headers: HTTPHeaders([HTTPField(name: "Cookie", value: header), HTTPField(name: "Cookie", value: header)])).pairs.count == Cookies.maxCount)
    }

    @Test func buildsSessionCookieWithSafeDefaults() throws {
        let cookie = try #require(SetCookie(name: "_interaction", value: "abc.123", maxAge: 3600))
        #expect(cookie.headerValue == "_interaction=abc.123; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax")
    }

    @Test func addsSecureWhenAsked() throws {
        let cookie = try #require(SetCookie(name: "s", value: "v", secure: true))
        #expect(cookie.headerValue == "s=v; Path=/; Secure; HttpOnly; SameSite=Lax")
    }

    @Test func deletionExpiresAtOnce() throws {
        let cookie = try #require(SetCookie.deletion(of: "_interaction"))
        #expect(cookie.headerValue == "_interaction=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax")
    }

    @Test(arguments: ["a;b", "a b", "a,b", "a\"b", "a\\b", "a\u{7F}", "é"])
    func refusesValuesThatCouldInjectAttributes(_ value: String) {
        #expect(SetCookie(name: "n", value: value) == nil)
    }

    @Test func refusesBadNamesAndPaths() {
        #expect(SetCookie(name: "a=b", value: "v") == nil)
        #expect(SetCookie(name: "", value: "v") == nil)
        #expect(SetCookie(name: "n", value: "v", path: "/; Domain=evil") == nil)
    }
}
