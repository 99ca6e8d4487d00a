//! Accounts: a password set by an administrator is replaced at the first sign-in, one's own
//! password changes only with the current one, a disabled user is out at once, and a user without
//! roles is in no township's scope.

mod common;

use serde_json::json;

use common::TestApp;

both_backends!(set_by_an_admin_changed_at_first_sign_in, |app: TestApp| async move {
    let tr = &app.tree;
    let town = app.token("town").await;
    let (s, u) = app.post(&town, "/api/v1/users", json!({"username": "newsec", "password": "Chushi-2026a", "role": "branch_secretary", "org_id": tr.village_a.id})).await;
    assert_eq!(s, 201, "{u}");
    let uid = u["id"].as_i64().unwrap();

    let (s, login) = app.post("", "/api/v1/auth/login", json!({"username": "newsec", "password": "Chushi-2026a"})).await;
    assert_eq!(s, 200, "{login}");
    assert_eq!(login["must_change_password"], true);
    let t = login["token"].as_str().unwrap().to_string();
    let (s, e) = app.get(&t, &format!("/api/v1/orgs/{}", tr.village_a.id)).await;
    assert_eq!((s, e["error"]["code"].as_str()), (403, Some("password_change_required")), "{e}");
    assert_eq!(app.get(&t, "/api/v1/me").await.0, 200);

    // One's own password: the current one is required, the new one must be strong.
    let path = format!("/api/v1/users/{uid}/password");
    let (s, e) = app.post(&t, &path, json!({"password": "Xinmima-2026b", "current_password": "wrong-one-1"})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (422, Some("current_password_wrong")), "{e}");
    let (s, e) = app.post(&t, &path, json!({"password": "password1", "current_password": "Chushi-2026a"})).await;
    assert_eq!((s, e["error"]["code"].as_str()), (422, Some("weak_password")), "{e}");
    let (s, e) = app.post(&t, &path, json!({"password": "Xinmima-2026b", "current_password": "Chushi-2026a"})).await;
    assert_eq!(s, 204, "{e}");
    // Every session ended; the new password works and nothing more is asked.
    assert_eq!(app.get(&t, "/api/v1/me").await.0, 401);
    let (s, login) = app.post("", "/api/v1/auth/login", json!({"username": "newsec", "password": "Xinmima-2026b"})).await;
    assert_eq!((s, login["must_change_password"].as_bool()), (200, Some(false)), "{login}");
    let t = login["token"].as_str().unwrap().to_string();
    assert_eq!(app.get(&t, &format!("/api/v1/orgs/{}", tr.village_a.id)).await.0, 200);

    // A reset by the township makes them change it again.
    let (s, e) = app.post(&town, &path, json!({"password": "Chongzhi-2026c"})).await;
    assert_eq!(s, 204, "{e}");
    let (_, login) = app.post("", "/api/v1/auth/login", json!({"username": "newsec", "password": "Chongzhi-2026c"})).await;
    assert_eq!(login["must_change_password"], true, "{login}");

    // Disabled: the session ends at once and sign-in is refused; nobody disables themself.
    let t = login["token"].as_str().unwrap().to_string();
    let (s, e) = app.post(&town, &format!("/api/v1/users/{uid}/disabled"), json!({"disabled": true})).await;
    assert_eq!(s, 204, "{e}");
    assert_eq!(app.get(&t, "/api/v1/me").await.0, 401);
    let (s, _) = app.post("", "/api/v1/auth/login", json!({"username": "newsec", "password": "Chongzhi-2026c"})).await;
    assert_eq!(s, 422);
    let (s, me) = app.get(&town, "/api/v1/me").await;
    assert_eq!(s, 200);
    let (s, e) = app.post(&town, &format!("/api/v1/users/{}/disabled", me["user_id"].as_i64().or(me["id"].as_i64()).unwrap_or(0)), json!({"disabled": true})).await;
    assert!(s == 422 || s == 404, "{s} {e}");
});

both_backends!(a_user_without_roles_is_not_in_every_scope, |app: TestApp| async move {
    let tr = &app.tree;
    let admin = app.token("admin").await;
    let (s, u) = app.post(&admin, "/api/v1/users", json!({"username": "drifter", "password": "Liulang-2026a", "role": "branch_secretary", "org_id": tr.organ.id})).await;
    assert_eq!(s, 201, "{u}");
    let uid = u["id"].as_i64().unwrap();
    let (_, users) = app.get(&admin, "/api/v1/users").await;
    let role_id = users.as_array().unwrap().iter().find(|x| x["id"] == uid).unwrap()["roles"][0]["id"].as_i64().unwrap();
    let (s, e) = app.send(reqwest::Method::DELETE, &admin, &format!("/api/v1/users/{uid}/roles/{role_id}"), json!({})).await;
    assert!(s == 200 || s == 204, "{s} {e}");
    // The township office (not the county) can neither reset, nor grant, nor disable them.
    let town = app.token("town").await;
    assert_eq!(app.post(&town, &format!("/api/v1/users/{uid}/password"), json!({"password": "Duoqu-2026zz"})).await.0, 404);
    assert_eq!(app.post(&town, &format!("/api/v1/users/{uid}/roles"), json!({"role": "branch_secretary", "org_id": tr.village_a.id})).await.0, 404);
    assert_eq!(app.post(&town, &format!("/api/v1/users/{uid}/disabled"), json!({"disabled": true})).await.0, 404);
    // The county admin (a role at the root) still can.
    assert_eq!(app.post(&admin, &format!("/api/v1/users/{uid}/roles"), json!({"role": "branch_secretary", "org_id": tr.organ.id})).await.0, 204);
});
