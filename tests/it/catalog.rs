//! The catalog and the connection rate: what counts (withdrawn items, items without a system, vertical
//! systems, the activity window), logins that connect a system without a write per login, imports that
//! are all or nothing, snapshots and the report command.

use crate::helpers::{RP, TestApp};
use crate::rp::{AuthRequest, code_for, token_request};
use yimen::audit::Actor;
use yimen::catalog::import::{ImportFormat, Problem};
use yimen::catalog::report::{Dimension, Line};
use yimen::catalog::service::{NewDepartment, NewSystem};
use yimen::catalog::{CatalogError, Scope};
use yimen::oidc::client::{ClientRegistration, Registered};
use yimen::store::connections::ItemFilter;

pub struct Catalogued {
    pub city: String,
    pub district: String,
    pub local: Registered,
    pub provincial: Registered,
}

async fn department(app: &TestApp, name: &str, level: &str, parent: Option<&str>) -> String {
    let new = NewDepartment {
        name: name.into(),
        level: level.into(),
        parent_id: parent.map(str::to_owned),
        contact_name: Some("王科长".into()),
        contact_phone: Some("0591-87000000".into()),
    };
    app.catalog.create_department(&Scope::All, new, &Actor::operator()).await.unwrap().id
}

async fn system(app: &TestApp, department: &str, name: &str, vertical: &str, portal: &str) -> String {
    let new = NewSystem {
        name: name.into(),
        vertical: vertical.into(),
        portal: portal.into(),
        contact_name: Some("李工".into()),
        contact_phone: Some("13900001111".into()),
    };
    app.catalog.create_system(&Scope::All, department, new, &Actor::operator()).await.unwrap().id
}

pub async fn client_of(app: &TestApp, system_id: &str) -> Registered {
    let registration = ClientRegistration { redirect_uris: vec![RP.into()], ..ClientRegistration::default() };
    app.catalog.register_client(&Scope::All, system_id, registration, &Actor::operator()).await.unwrap()
}

/// A city department with a local and a provincial system (both with clients) and an item without a
/// system and a withdrawn one; a district department whose system has no client.
pub async fn catalogue(app: &TestApp) -> Catalogued {
    let city = department(app, "市民政局", "city", None).await;
    let district = department(app, "鼓楼区民政局", "district", Some(&city)).await;
    let local = system(app, &city, "婚姻登记系统", "local", "none").await;
    let provincial = system(app, &city, "社会救助系统", "provincial", "none").await;
    system(app, &district, "区级救助系统", "local", "none").await;
    let city_items = r#"[
        {"code": "MZ-001", "name": "结婚登记", "type": "行政许可", "audience": "自然人", "themes": ["P12"], "system": "婚姻登记系统"},
        {"code": "MZ-002", "name": "社会团体登记", "type": "licence", "audience": "legal", "themes": ["L01"], "system": "婚姻登记系统"},
        {"code": "MZ-003", "name": "低保申请", "type": "public_service", "audience": "both", "themes": ["P16", "L20"], "system": "社会救助系统"},
        {"code": "MZ-004", "name": "殡葬补贴", "type": "public_service", "audience": "person", "themes": ["P16"]},
        {"code": "MZ-005", "name": "已取消的事项", "type": "public_service", "audience": "person", "system": "婚姻登记系统", "status": "withdrawn"}
    ]"#;
    app.catalog.import(&Scope::All, &city, ImportFormat::Json, city_items, &Actor::operator()).await.unwrap();
    let district_items = "code,name,type,audience,themes,system\nGL-001,临时救助,公共服务,自然人,P16,区级救助系统\nGL-002,养老服务补贴,公共服务,自然人,P16,区级救助系统\n";
    app.catalog.import(&Scope::All, &district, ImportFormat::Csv, district_items, &Actor::operator()).await.unwrap();
    Catalogued { city, district, local: client_of(app, &local).await, provincial: client_of(app, &provincial).await }
}

/// A citizen signs in at a client through the code flow, and the client redeems the code.
pub async fn login_through(app: &TestApp, client: &Registered) {
    let browser = app.browser();
    let (code, verifier) = code_for(app, &browser, &client.client.id, "openid").await;
    let basic = (client.client.id.as_str(), client.secret.as_deref().unwrap());
    let (status, _, _) = token_request(
        app,
        Some(basic),
        &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", RP), ("code_verifier", &verifier)],
    )
    .await;
    assert_eq!(status, 200);
}

fn counts(line: &Line) -> (i64, i64, i64, i64) {
    (line.counts.active_items, line.counts.registered, line.counts.connected, line.counts.recently_used)
}

fn by<'a>(report: &'a yimen::catalog::report::Report, dimension: Dimension, key: &str) -> &'a Line {
    report.breakdowns[&dimension].iter().find(|l| l.key == key).unwrap_or_else(|| panic!("no {key} in {dimension:?}"))
}

#[tokio::test]
async fn the_rate_counts_connected_items_over_active_ones_in_every_breakdown() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let catalogued = catalogue(&app).await;
    let all = ItemFilter::default();
    let before = app.reports.report(&all, &[]).await.unwrap();
    assert_eq!(
        counts(&before.overall),
        (6, 3, 0, 0),
        "withdrawn items do not count; three items have a client, none logged in"
    );
    assert_eq!(before.overall.rate, Some(0.0));
    assert!(!before.overall.meets_target);

    login_through(&app, &catalogued.local).await;
    login_through(&app, &catalogued.provincial).await;
    let report = app.reports.report(&all, &Dimension::ALL).await.unwrap();
    assert_eq!(counts(&report.overall), (6, 3, 3, 3));
    assert_eq!(report.overall.rate, Some(0.5));
    assert_eq!(counts(by(&report, Dimension::Department, &catalogued.district)), (2, 0, 0, 0));
    assert_eq!(report.breakdowns[&Dimension::Department][0].key, catalogued.district, "furthest behind first");
    assert_eq!(counts(by(&report, Dimension::Level, "city")), (4, 3, 3, 3));
    assert_eq!(counts(by(&report, Dimension::Vertical, "provincial")), (1, 1, 1, 1), "a vertical system counts apart");
    assert_eq!(
        counts(by(&report, Dimension::Vertical, "none")),
        (1, 0, 0, 0),
        "an item without a system is active but never connected"
    );
    assert_eq!(counts(by(&report, Dimension::Type, "licence")), (2, 2, 2, 2));
    assert_eq!(counts(by(&report, Dimension::Audience, "both")), (1, 1, 1, 1));
    assert_eq!(counts(by(&report, Dimension::Theme, "P16")), (4, 1, 1, 1), "an item counts under each of its themes");
    assert_eq!(by(&report, Dimension::Theme, "L20").label, "水务气象", "themes carry their names");

    let filtered =
        app.reports.report(&ItemFilter { vertical: Some("local".into()), ..ItemFilter::default() }, &[]).await.unwrap();
    assert_eq!(counts(&filtered.overall), (4, 2, 2, 2));

    let missing = app.reports.missing(&all, 100).await.unwrap();
    let reasons: Vec<(&str, &str)> = missing.iter().map(|m| (m.code.as_str(), m.reason.as_str())).collect();
    assert!(reasons.contains(&("MZ-004", "no_system")) && reasons.contains(&("GL-001", "no_client")), "{reasons:?}");
    assert_eq!(missing.len(), 3);
    let district_missing = missing.iter().find(|m| m.code == "GL-002").unwrap();
    assert_eq!(
        (district_missing.system_name.as_deref(), district_missing.contact_phone.as_deref()),
        (Some("区级救助系统"), Some("13900001111")),
        "whom to call"
    );

    app.clock.advance_secs(31 * 86_400);
    let later = app.reports.report(&all, &[]).await.unwrap();
    assert_eq!(
        counts(&later.overall),
        (6, 3, 3, 0),
        "outside the activity window an item stays connected but not recently used"
    );
    app.provider.set_client_enabled(&catalogued.provincial.client.id, false).await.unwrap();
    let disabled = app.reports.report(&all, &[]).await.unwrap();
    assert_eq!(counts(&disabled.overall), (6, 2, 2, 0), "a disabled client connects nothing");
    app.stop().await;
}

#[tokio::test]
async fn a_login_records_the_first_success_at_once_and_the_last_only_periodically() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let catalogued = catalogue(&app).await;
    let client_id = catalogued.local.client.id.clone();
    assert_eq!(app.db.client_connection(&client_id).await.unwrap(), None);
    login_through(&app, &catalogued.local).await;
    let (first, last) = app.db.client_connection(&client_id).await.unwrap().expect("the first login is written");
    assert_eq!(first, last);
    app.clock.advance_secs(60);
    login_through(&app, &catalogued.local).await;
    assert_eq!(
        app.db.client_connection(&client_id).await.unwrap(),
        Some((first, last)),
        "a minute later nothing is written"
    );
    app.clock.advance_secs(600);
    login_through(&app, &catalogued.local).await;
    let (_, refreshed) = app.db.client_connection(&client_id).await.unwrap().unwrap();
    assert!(refreshed >= last + 660, "after the refresh interval the last login moves");
    app.stop().await;
}

#[tokio::test]
async fn an_import_is_checked_row_by_row_and_written_all_or_nothing() {
    let app = TestApp::spawn().await;
    let catalogued = catalogue(&app).await;
    let actor = Actor::operator();
    let bad = "code,name,type,audience,themes,system\nMZ-101,婚姻登记补证,行政许可,自然人,P12,婚姻登记系统\nMZ-102,,行政许可,外国人,X01,不存在的系统\nMZ-101,重复,公共服务,自然人,,\n";
    let refused = app.catalog.import(&Scope::All, &catalogued.city, ImportFormat::Csv, bad, &actor).await.unwrap_err();
    let yimen::catalog::CatalogError::Import(rows) = refused else { panic!("{refused:?}") };
    let found: Vec<(usize, &str)> = rows.iter().map(|r| (r.line, r.field)).collect();
    assert_eq!(found, [(3, "name"), (3, "audience"), (3, "themes"), (3, "system"), (4, "code")]);
    let (_, total) = app.catalog.items(&Scope::All, &catalogued.city, 100, 0).await.unwrap();
    assert_eq!(total, 5, "the good row was not written either");

    let fixed = "code,name,type,audience,themes,system\nMZ-101,婚姻登记补证,行政许可,自然人,P12,婚姻登记系统\nMZ-001,结婚登记（更名）,行政许可,自然人,P12,婚姻登记系统\n";
    let summary = app.catalog.import(&Scope::All, &catalogued.city, ImportFormat::Csv, fixed, &actor).await.unwrap();
    assert_eq!((summary.created, summary.updated), (1, 1), "re-import updates by code");
    let (items, _) = app.catalog.items(&Scope::All, &catalogued.city, 100, 0).await.unwrap();
    assert_eq!(items.iter().find(|i| i.code == "MZ-001").unwrap().name, "结婚登记（更名）");

    let stolen = "code,name,type,audience\nMZ-001,抢注,公共服务,自然人\n";
    let conflict =
        app.catalog.import(&Scope::All, &catalogued.district, ImportFormat::Csv, stolen, &actor).await.unwrap_err();
    assert!(
        matches!(&conflict, CatalogError::Import(rows) if rows.len() == 1 && rows[0].line == 2 && rows[0].problem == Problem::OtherDepartment),
        "an item code of another department is refused: {conflict:?}"
    );

    let dir = app.data_dir().to_owned();
    let file = dir.join("items.csv");
    std::fs::write(&file, bad).unwrap();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_yimen"));
    command
        .args(["catalog", "import"])
        .arg(&file)
        .args(["--department", "市民政局"])
        .env("YIMEN_DATA_DIR", &dir)
        .env_remove("YIMEN_REDIS_URL");
    match app.database_url() {
        Some(url) => command.env("YIMEN_DATABASE_URL", url),
        None => command.env_remove("YIMEN_DATABASE_URL"),
    };
    let output = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success() && stderr.contains("line 3, name") && stderr.contains("nothing was imported"),
        "{stderr}"
    );
    app.stop().await;
}

#[tokio::test]
async fn snapshots_are_daily_and_the_report_command_prints_every_format() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let catalogued = catalogue(&app).await;
    login_through(&app, &catalogued.local).await;
    app.reports.record_snapshot().await.unwrap();
    app.reports.record_snapshot().await.unwrap();
    let trend = app.reports.snapshots("all", 30).await.unwrap();
    assert_eq!(
        (trend.len(), trend[0].connected, trend[0].active_items),
        (1, 2, 6),
        "one row a day, with the latest figures"
    );
    app.clock.advance_secs(86_400);
    login_through(&app, &catalogued.provincial).await;
    app.reports.record_snapshot().await.unwrap();
    let trend = app.reports.snapshots("all", 30).await.unwrap();
    let connected: Vec<i64> = trend.iter().map(|s| s.connected).collect();
    assert_eq!(connected, [2, 3], "the next day adds a row and keeps yesterday's");
    assert_eq!(
        app.reports.snapshots(&format!("dept:{}", catalogued.district), 30).await.unwrap()[0].active_items,
        2,
        "per department too"
    );

    let run = |args: &[&str]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_yimen"));
        command.args(args).env("YIMEN_DATA_DIR", app.data_dir()).env_remove("YIMEN_REDIS_URL");
        match app.database_url() {
            Some(url) => command.env("YIMEN_DATABASE_URL", url),
            None => command.env_remove("YIMEN_DATABASE_URL"),
        };
        let output = command.output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    };
    let table = run(&["report", "connection-rate"]);
    assert!(table.starts_with("connection rate 50.0% (target 90.0%), 3 of 6"), "{table}");
    let csv = run(&["report", "connection-rate", "--by", "level", "--format", "csv"]);
    assert!(
        csv.contains("city,市级,4,3,3,3,0.7500,false") && csv.contains("district,区县级,2,0,0,0,0.0000,false"),
        "{csv}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&run(&["report", "connection-rate", "--by", "theme", "--format", "json"])).unwrap();
    assert_eq!(json["overall"]["connected"], 3);
    assert!(json["breakdowns"]["theme"].as_array().unwrap().iter().any(|t| t["key"] == "P12"));
    assert_eq!(json["usage"]["citizen"]["share"], serde_json::Value::Null, "no denominator configured");
    app.stop().await;
}

#[tokio::test]
async fn designated_pages_count_distinct_people_and_organisations() {
    let app = TestApp::spawn_with(|config| {
        config.catalog.population_20_49 = 1_000;
        config.catalog.enterprises = 10;
    })
    .await;
    let person = app.citizen().await;
    let city = department(&app, "市网信统筹局", "city", None).await;
    let citizen_page = system(&app, &city, "市民个人网页", "local", "citizen").await;
    let enterprise_page = system(&app, &city, "企业专属网页", "local", "enterprise").await;
    let citizen_client = client_of(&app, &citizen_page).await;
    login_through(&app, &citizen_client).await;
    login_through(&app, &citizen_client).await;
    let usage = app.reports.usage().await.unwrap();
    assert_eq!((usage.citizen.users, usage.citizen.share), (1, Some(0.001)), "one person, however often");

    use yimen::oidc::login_recorder::LoginRecorder;
    let tracker = yimen::catalog::usage::ConnectionTracker::new(app.db.clone(), app.clock.clone(), 600);
    let enterprise_client = client_of(&app, &enterprise_page).await.client;
    tracker.code_redeemed(&enterprise_client, &person.id, None).await;
    assert_eq!(
        app.reports.usage().await.unwrap().enterprise.users,
        0,
        "a person acting for themselves is not an enterprise"
    );
    tracker.code_redeemed(&enterprise_client, &person.id, Some("org-1")).await;
    tracker.code_redeemed(&enterprise_client, "someone-else", Some("org-1")).await;
    tracker.code_redeemed(&enterprise_client, &person.id, Some("org-2")).await;
    let usage = app.reports.usage().await.unwrap();
    assert_eq!((usage.enterprise.users, usage.enterprise.share), (2, Some(0.2)), "distinct organisations");
    app.stop().await;
}

#[tokio::test]
async fn every_business_system_sees_its_own_subject_and_its_clients_share_it() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let department = department(&app, "市人社局", "city", None).await;
    let pensions = system(&app, &department, "养老保险系统", "local", "none").await;
    let jobs = system(&app, &department, "就业服务系统", "local", "none").await;
    // Three clients on one host: two of the pensions system (web and mobile), one of the jobs system.
    let (web, mobile, other) =
        (client_of(&app, &pensions).await, client_of(&app, &pensions).await, client_of(&app, &jobs).await);
    let browser = app.browser();
    let mut subjects = Vec::new();
    for registered in [&web, &mobile, &other] {
        let (code, verifier) = code_for(&app, &browser, &registered.client.id, "openid").await;
        let basic = (registered.client.id.as_str(), registered.secret.as_deref().unwrap());
        let (_, tokens, _) = token_request(
            &app,
            Some(basic),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", RP),
                ("code_verifier", &verifier),
            ],
        )
        .await;
        subjects.push(crate::rp::jwt_claims(tokens["id_token"].as_str().unwrap())["sub"].as_str().unwrap().to_owned());
    }
    assert_eq!(subjects[0], subjects[1], "the clients of one system share its subject");
    assert_ne!(subjects[0], subjects[2], "another system on the same host sees another subject");

    // A client whose sector groups it with others says so on the consent page.
    let grouped = app
        .client(ClientRegistration {
            name: "人社联办".into(),
            redirect_uris: vec![RP.into()],
            sector_identifier: Some("https://rs.example.gov.cn".into()),
            ..ClientRegistration::default()
        })
        .await;
    let url = AuthRequest::new(&grouped.client.id).url(&app);
    let (_, _, consent) = browser.open(&url).await.page();
    assert!(consent.contains("与其同组的系统看到相同的标识"), "{consent}");
    app.stop().await;
}
