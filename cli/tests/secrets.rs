//! Secrets stay secret: the secret key and the session token never appear on stdout, on stderr
//! (even with `-vvv` and `RUST_LOG=trace`), in `--json` output or in the checkpoint journal; and the
//! TLS opt-out is loud.

mod harness;

use std::process::Output;

use harness::*;
use partcopy_emulator::{Api, FaultPlan, OpFaults, Provider};

const TOKEN: &str = "SessionTokenThatMustNeverBeShown0123456789";

fn token_var(provider: Provider) -> &'static str {
    match provider {
        Provider::Cos => "COS_SESSION_TOKEN",
        Provider::Oss => "OSS_SESSION_TOKEN",
    }
}

fn assert_hidden(what: &str, bytes: &[u8], secrets: &[&str]) {
    let text = String::from_utf8_lossy(bytes);
    for secret in secrets {
        assert!(
            !text.contains(secret),
            "{what} shows a secret ({} bytes of output)",
            text.len()
        );
    }
}

fn assert_output_hidden(output: &Output, secrets: &[&str]) {
    assert_hidden("stdout", &output.stdout, secrets);
    assert_hidden("stderr", &output.stderr, secrets);
}

/// A multipart copy with temporary credentials, traced as verbosely as possible, first failing
/// (so the checkpoint is kept and can be read) then resumed to completion. The emulator refuses
/// any request of these keys without the token, so every request of both runs carried it.
#[test]
fn secrets_never_reach_logs_json_or_the_checkpoint() {
    let world = World::with_temporary_keys(TOKEN);
    let dir = TempDir::new("secrets");
    for provider in [Provider::Cos, Provider::Oss] {
        let secret = world.emu.credentials(provider).secret.clone();
        let secrets = [secret.as_str(), TOKEN];
        world.object(provider, "secret", 6 * min_part_bytes(provider), 21);
        let args = [
            "-vvv",
            "--threshold",
            min_part(provider),
            "--part-size",
            min_part(provider),
            "-j",
            "2",
            "--max-attempts",
            "2",
            "--checkpoint-dir",
            dir.arg(),
        ];
        let run = || {
            world
                .command(provider, "secret", "secret", &args)
                .env("RUST_LOG", "trace")
                .env(token_var(provider), TOKEN)
                .output()
                .unwrap()
        };
        world.emu.set_faults(only(
            Api::CompleteMultipartUpload,
            OpFaults {
                internal_error: 1.0,
                ..OpFaults::default()
            },
        ));
        let output = run();
        let stderr = failed(&output, 1);
        assert!(stderr.contains("TRACE"), "traced: {stderr}");
        assert!(stderr.contains("hyper"), "hyper's own traces are on: {stderr}");
        assert_output_hidden(&output, &secrets);
        let journal = std::fs::read(dir.journal()).unwrap();
        assert!(journal.len() > 100, "the checkpoint holds the parts");
        assert_hidden("the checkpoint", &journal, &secrets);

        world.emu.set_faults(FaultPlan::default());
        let output = run();
        let summary = copied(&output);
        assert_eq!(summary["resumed_parts"], 6);
        assert_output_hidden(&output, &secrets);
        assert!(world.same(provider, "secret"));
    }
}

/// Temporary keys work only with their session token: with it, every request of a verified
/// multipart copy is accepted (HEAD and tags of both ends, Initiate, parts, Complete); without it,
/// the service refuses and partcopy says so.
#[test]
fn temporary_keys_need_their_session_token_on_every_request() {
    let world = World::with_temporary_keys(TOKEN);
    for provider in [Provider::Cos, Provider::Oss] {
        world.object(provider, "sts", 4 * min_part_bytes(provider) + 1, 33);
        let args = [
            "--threshold",
            min_part(provider),
            "--part-size",
            min_part(provider),
            "--verify",
        ];
        let output = world
            .command(provider, "sts", "sts", &args)
            .env(token_var(provider), TOKEN)
            .output()
            .unwrap();
        let summary = copied(&output);
        assert_eq!(summary["parts"], 5, "{provider:?}");
        assert_eq!(summary["verified"], true, "{provider:?}");
        assert!(world.same(provider, "sts"));

        let output = world.cp(provider, "sts", &args);
        let stderr = failed(&output, 1);
        let code = match provider {
            Provider::Cos => "AccessDenied (HTTP 403)",
            Provider::Oss => "InvalidSecurityToken (HTTP 403)",
        };
        assert!(stderr.contains(code), "{provider:?}: {stderr}");
        let wrong = world
            .command(provider, "sts", "sts", &args)
            .env(token_var(provider), "AnotherToken")
            .output()
            .unwrap();
        assert!(failed(&wrong, 1).contains(code), "{provider:?}");
    }
}

/// A wrong secret is refused by the service; neither it nor the right one is echoed.
#[test]
fn a_wrong_secret_is_not_echoed() {
    let world = World::new();
    for provider in [Provider::Cos, Provider::Oss] {
        world.object(provider, "wrong", 10, 1);
        let secret_var = match provider {
            Provider::Cos => "COS_SECRET_KEY",
            Provider::Oss => "OSS_ACCESS_KEY_SECRET",
        };
        let wrong = "WrongSecretThatMustNeverBeShown987654321";
        let output = world
            .command(provider, "wrong", "wrong", &["-vvv"])
            .env(secret_var, wrong)
            .env(token_var(provider), TOKEN)
            .env("RUST_LOG", "trace")
            .output()
            .unwrap();
        let stderr = failed(&output, 1);
        assert!(stderr.contains("HTTP 403"), "{stderr}");
        let right = world.emu.credentials(provider).secret.clone();
        assert_output_hidden(&output, &[wrong, TOKEN, &right]);
    }
}

/// TLS certificates are checked unless `--insecure-skip-verify` is given, and that option is
/// announced on stderr every time, whatever the log level.
#[test]
fn the_tls_opt_out_is_loud() {
    let world = World::new();
    world.object(Provider::Oss, "tls", 10, 1);
    let output = world
        .command(Provider::Oss, "tls", "tls", &["--insecure-skip-verify"])
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    copied(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("WARNING"), "{stderr}");
    assert!(stderr.contains("TLS certificates are NOT checked"), "{stderr}");

    let output = world.cp(Provider::Oss, "tls", &[]);
    copied(&output);
    assert!(
        !String::from_utf8_lossy(&output.stderr).contains("NOT checked"),
        "no warning without the option"
    );
}
