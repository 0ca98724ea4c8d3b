import PayrailCtl

/// Thin entry point: all logic lives in `PayrailCtl`.
@main
enum Entrypoint {
    static func main() async {
        await RootCommand.main()
    }
}
