import PayrailProviders
import Testing

/// `PAYRAIL_DOUYIN_BASE_URL` and credentials handling.
@Suite struct DouyinConfigurationTests {
    @Test func productionIsTheDefault() throws {
        let configuration = try DouyinConfiguration.fromEnvironment([:])
        #expect(configuration.baseURL == "https://developer.toutiao.com")
        #expect(configuration.isLoopback == false)
        #expect(configuration.notifyURLPolicy == .httpsOnly)
    }

    @Test(arguments: [
        ("http://127.0.0.1:8085/", "http://127.0.0.1:8085", true),
        ("http://localhost:9000", "http://localhost:9000", true),
        ("http://[::1]:9000", "http://[::1]:9000", true),
        ("https://open-sandbox.douyin.com", "https://open-sandbox.douyin.com", false),
        ("http://payrail-sandbox:8080/douyin", "http://payrail-sandbox:8080/douyin", false),
    ])
    func theEnvironmentChoosesTheBaseURL(value: String, baseURL: String, loopback: Bool) throws {
        let configuration = try DouyinConfiguration.fromEnvironment(["PAYRAIL_DOUYIN_BASE_URL": value])
        #expect(configuration.baseURL == baseURL)
        #expect(configuration.isLoopback == loopback)
        #expect(configuration.notifyURLPolicy == (loopback ? .allowLoopbackHTTP : .httpsOnly))
    }

    @Test func plainHTTPNotifyURLsToAnyHostOnlyWhenAskedFor() throws {
        let compose = try DouyinConfiguration.fromEnvironment([
            "PAYRAIL_DOUYIN_BASE_URL": "http://payrail-sandbox:8090", "PAYRAIL_DOUYIN_ALLOW_HTTP_NOTIFY": "true",
        ])
        #expect(compose.notifyURLPolicy == .allowHTTP)
        let production = try DouyinConfiguration.fromEnvironment(["PAYRAIL_DOUYIN_ALLOW_HTTP_NOTIFY": "false"])
        #expect(production.notifyURLPolicy == .httpsOnly)
        #expect(throws: ConnectorConfigurationError.self) {
            try DouyinConfiguration.fromEnvironment(["PAYRAIL_DOUYIN_ALLOW_HTTP_NOTIFY": "yes please"])
        }
    }

    @Test(arguments: ["", "developer.toutiao.com", "ftp://host", "http://", "https://h/x?y=1", "https://u:p@h"])
    func invalidBaseURLsFailWithAClearError(value: String) {
        #expect {
            try DouyinConfiguration.fromEnvironment(["PAYRAIL_DOUYIN_BASE_URL": value])
        } throws: { error in
            let error = error as? ConnectorConfigurationError
            return error?.code == "invalid_base_url" && error?.message.hasPrefix("PAYRAIL_DOUYIN_BASE_URL") == true
        }
    }

    @Test func credentialsNeverShowInDescriptionsOrDumps() throws {
        let credentials = try DouyinCredentials(
            appID: "tt_secret_app", salt: "salty_secret", callbackTokens: ["tok_secret"], merchantID: "m_secret",
            thirdpartyID: "tp_secret")
        var dumped = ""
        dump(credentials, to: &dumped)
        for text in [credentials.description, credentials.debugDescription, "\(credentials)", dumped] {
            #expect(!text.contains("secret"), "leaked in: \(text)")
        }
    }

    @Test func invalidCredentialsNameTheFieldNotTheValue() {
        #expect(throws: ConnectorConfigurationError.self) {
            try DouyinCredentials(appID: "", salt: "s", callbackTokens: ["t"])
        }
        do {
            _ = try DouyinCredentials(appID: "tt", salt: "", callbackTokens: ["hidden_token"])
            Issue.record("an empty salt was accepted")
        } catch {
            #expect(error.message.contains("salt"))
            #expect(!error.message.contains("hidden_token"))
        }
        #expect(throws: ConnectorConfigurationError.self) {
            try DouyinCredentials(appID: "tt", salt: "s", callbackTokens: [])
        }
    }
}
