//! The built `partcopy` binary refuses bad usage and missing credentials with exit status 2 and a
//! message that says what to do, before sending anything.

use std::process::{Command, Output};

fn partcopy(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_partcopy"));
    command.args(args);
    for var in [
        "COS_SECRET_ID",
        "COS_SECRET_KEY",
        "COS_SESSION_TOKEN",
        "OSS_ACCESS_KEY_ID",
        "OSS_ACCESS_KEY_SECRET",
        "OSS_SESSION_TOKEN",
        "RUST_LOG",
    ] {
        command.env_remove(var);
    }
    command.envs(env.iter().copied());
    command.output().expect("run partcopy")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn clap_usage_errors_exit_2() {
    for args in [
        &[][..],
        &["cp"],
        &["cp", "cos://a-1/k"],
        &["cp", "cos://a-1/k", "cos://b-1/k", "--part-size", "huge"],
        &["cp", "cos://a-1/k", "cos://b-1/k", "--no-such-flag"],
        &["cp", "cos://a-1/k", "cos://b-1/k", "-j", "0"],
    ] {
        let output = partcopy(args, &[]);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", stderr(&output));
        assert!(!stderr(&output).is_empty());
    }
}

#[test]
fn help_and_version_exit_0() {
    let output = partcopy(&["cp", "--help"], &[]);
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("--part-size") && text.contains("COS_SECRET_ID"));
    assert_eq!(partcopy(&["--version"], &[]).status.code(), Some(0));
}

#[test]
fn bad_input_exits_2_with_a_message() {
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "cp",
                "cos://examplebucket/k",
                "cos://b-1250000000/k",
                "--region",
                "ap-guangzhou",
            ],
            "has no appid",
        ),
        (&["cp", "s3://b/k", "cos://b-1250000000/k"], "not an object URL"),
        (
            &[
                "cp",
                "oss://aaa/k",
                "oss://bbb/k",
                "--src-region",
                "cn-hangzhou",
                "--dst-region",
                "cn-shanghai",
            ],
            "OSS copies objects only within one region",
        ),
        (
            &["cp", "cos://a-1/k", "oss://bbb/k", "--region", "x"],
            "within one cloud",
        ),
    ];
    for (args, needle) in cases {
        let output = partcopy(args, &[]);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(stderr(&output).contains(needle), "{args:?}: {}", stderr(&output));
    }
}

#[test]
fn missing_credentials_name_the_variable() {
    let args = [
        "cp",
        "cos://a-1250000000/k",
        "cos://b-1250000000/k",
        "--region",
        "ap-guangzhou",
    ];
    let output = partcopy(&args, &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("COS_SECRET_ID"), "{}", stderr(&output));
    let output = partcopy(&args, &[("COS_SECRET_ID", "AKIDx")]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("COS_SECRET_KEY"), "{}", stderr(&output));
    let args = ["cp", "oss://aaa/k", "oss://bbb/k", "--region", "cn-hangzhou"];
    let output = partcopy(&args, &[("COS_SECRET_ID", "a"), ("COS_SECRET_KEY", "b")]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("OSS_ACCESS_KEY_ID"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn an_acceleration_endpoint_is_warned_about_once() {
    // No credentials: the run stops before sending anything, after the warning.
    let shared = partcopy(
        &[
            "cp",
            "cos://a-1250000000/k",
            "cos://b-1250000000/k",
            "--region",
            "ap-guangzhou",
            "--endpoint",
            "https://cos.accelerate.myqcloud.com",
        ],
        &[],
    );
    assert_eq!(shared.status.code(), Some(2));
    let text = stderr(&shared);
    assert_eq!(
        text.matches("is a transfer-acceleration endpoint").count(),
        1,
        "{text}"
    );
    assert!(text.contains("leave --endpoint out"), "{text}");
    // The destination's alone; the region's own endpoint gets no warning.
    let one = partcopy(
        &[
            "cp",
            "oss://aaa/k",
            "oss://bbb/k",
            "--region",
            "cn-hangzhou",
            "--src-endpoint",
            "https://oss-cn-hangzhou.aliyuncs.com",
            "--dst-endpoint",
            "https://oss-accelerate.aliyuncs.com",
        ],
        &[],
    );
    let text = stderr(&one);
    assert_eq!(
        text.matches("is a transfer-acceleration endpoint").count(),
        1,
        "{text}"
    );
    assert!(text.contains("https://oss-accelerate.aliyuncs.com is"), "{text}");
    // Abort sends a DELETE, which the COS accelerate host refuses.
    let abort = partcopy(
        &[
            "abort",
            "cos://b-1250000000/k",
            "u1",
            "--region",
            "ap-guangzhou",
            "--endpoint",
            "https://cos.accelerate.myqcloud.com",
        ],
        &[],
    );
    assert_eq!(abort.status.code(), Some(2), "{}", stderr(&abort));
    assert!(
        stderr(&abort).contains("is a transfer-acceleration endpoint"),
        "{}",
        stderr(&abort)
    );
}
