//! The READMEs in English and in Chinese give the same commands: a newcomer reading either copies the
//! same lines (the comments after a command may differ, being in each language).

use std::path::Path;

/// The command lines of every ```sh block, without whole-line comments or the comment after a command.
fn commands(readme: &str) -> Vec<String> {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(readme)).unwrap();
    let mut found = Vec::new();
    let mut in_shell = false;
    for line in text.lines() {
        match line.trim() {
            "```sh" => in_shell = true,
            "```" => in_shell = false,
            command if in_shell && !command.is_empty() && !command.starts_with('#') => {
                let without_comment = match command.find(" #") {
                    Some(at) => &command[..at],
                    None => command,
                };
                found.push(without_comment.trim_end().to_owned());
            }
            _ => {}
        }
    }
    found
}

#[test]
fn both_readmes_give_the_same_commands() {
    let english = commands("README.md");
    let chinese = commands("README.zh-CN.md");
    assert!(english.len() >= 15, "the English README's commands were found: {english:#?}");
    assert_eq!(chinese, english, "README.zh-CN.md must list the commands README.md lists, in the same order");
}

#[test]
fn comments_are_not_commands() {
    let lines = ["```sh", "yimen demo   # 演示", "# {\"sub\":1}", "```", "not a command"].join("\n");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("R.md");
    std::fs::write(&path, lines).unwrap();
    assert_eq!(commands(path.to_str().unwrap()), ["yimen demo"]);
}

/// A fresh server tells whoever opens it what to do next, in the page's language, step by step, and stops
/// once a system and a platform administrator exist.
#[tokio::test]
async fn a_fresh_server_shows_its_first_steps_until_it_is_set_up() {
    use yimen::audit::Actor;
    use yimen::identity::roles::RoleKind;
    let app = crate::helpers::TestApp::spawn().await;
    let home = |language: &'static str| {
        let url = app.url("/");
        async move {
            let response = crate::rp::http().get(url).header("accept-language", language).send().await.unwrap();
            assert_eq!(response.status(), 200);
            response.text().await.unwrap()
        }
    };
    let english = home("en").await;
    assert!(english.contains("Set up this server"), "{english}");
    for command in
        ["yimen client add", "yimen user add", "yimen role grant --account 13800138000 --role platform_admin"]
    {
        assert!(english.contains(command), "{command}");
    }
    assert!(!english.contains("Done."), "nothing is done yet");
    assert!(home("zh-CN").await.contains("完成本服务器的初始设置"));

    app.confidential_client().await;
    let person = app.citizen().await;
    let half = home("en").await;
    assert_eq!(half.matches("Done.").count(), 1, "the system is registered, the administrator is missing");
    app.desk.roles.grant(&person.id, RoleKind::PlatformAdmin, None, &Actor::operator()).await.unwrap();
    let done = home("en").await;
    assert!(!done.contains("Set up this server"), "{done}");
    app.stop().await;
}

/// The provincial platform's example configuration in each README loads and passes `config check`.
#[test]
fn the_federation_examples_are_valid_configuration() {
    for (readme, heading) in
        [("README.md", "## Connecting to the provincial platform"), ("README.zh-CN.md", "## 对接省级平台")]
    {
        let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(readme)).unwrap();
        let section = &text[text.find(heading).unwrap_or_else(|| panic!("{readme} has {heading}"))..];
        let block = section.split("```toml\n").nth(1).unwrap().split("\n```").next().unwrap();
        let config: yimen::config::Config = toml::from_str(block).unwrap_or_else(|e| panic!("{readme}: {e}"));
        config.validate().unwrap_or_else(|e| panic!("{readme}: {e}"));
        let ids: Vec<&str> = config.federation.upstream.iter().map(|u| u.id.as_str()).collect();
        assert_eq!(ids, ["province", "gd"], "{readme}");
    }
}
