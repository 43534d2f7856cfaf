"""The `authkit` command: every operator mistake is one `authkit: error:` line, exit 2."""

import io
import os

import pytest

from authkit import cli, settings

from .support.fixtures import SECRET


@pytest.fixture
def env(tmp_path, monkeypatch):
    for name in list(os.environ):
        if name.startswith("AUTHKIT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AUTHKIT_SECRET", SECRET)
    monkeypatch.setenv("AUTHKIT_DATABASE_URL", f"sqlite:///{tmp_path}/c.db")
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def run(capsys, *argv):
    code = cli.main(list(argv))
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    return code, out.out, out.err


@pytest.mark.parametrize(("url", "words"), [
    ("x.db", "the database URL is not a URL: write e.g. sqlite:///app.db"),
    ("oracle://u@h/db", "unsupported database 'oracle'"),
    ("mysql://root@127.0.0.1:1/nosuchdb", "the database is unavailable: (2003"),
])
def test_bad_database_urls_are_one_line(env, capsys, url, words):
    env.setenv("AUTHKIT_DATABASE_URL", url)
    code, _, err = run(capsys, "migrate")
    assert code == 2 and words in err and len(err.strip().splitlines()) == 1


def test_unknown_mysql_database_is_one_line(env, capsys):
    pytest.importorskip("pymysql")
    import pymysql

    try:
        pymysql.connect(host="127.0.0.1", user="root", connect_timeout=2).close()
    except pymysql.err.MySQLError as exc:
        pytest.skip(f"MariaDB is not reachable: {exc}")
    env.setenv("AUTHKIT_DATABASE_URL", "mysql://root@127.0.0.1:3306/authkit_no_such_db")
    code, _, err = run(capsys, "migrate")
    assert code == 2 and "Unknown database 'authkit_no_such_db'" in err
    assert len(err.strip().splitlines()) == 1


def test_missing_driver_names_the_extra(env, capsys):
    env.setenv("AUTHKIT_DATABASE_URL", "postgresql+asyncpg://u@127.0.0.1/db")
    code, _, err = run(capsys, "migrate")
    assert code == 2
    assert "driver is missing: pip install 'authkit-server[postgres]'" in err


@pytest.mark.parametrize("port", ["0", "65536", "http"])
def test_port_out_of_range_is_refused_before_serving(env, capsys, port):
    with pytest.raises(SystemExit) as info:
        cli.main(["serve", "--port", port])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "argument --port" in err and "serving" not in err


@pytest.mark.parametrize("command", [["migrate"], ["secret"], ["list-users"],
                                     ["serve", "--port", "1"]])
def test_health_path_without_slash_is_refused_by_every_command(env, capsys, command):
    env.setenv("AUTHKIT_HEALTH_PATH", "health")
    code, out, err = run(capsys, *command)
    assert code == 2 and "AUTHKIT_HEALTH_PATH='health'" in err and "serving" not in err
    assert out == ""


def test_app_pointing_at_the_class_is_refused(env, capsys):
    code, _, err = run(capsys, "migrate", "--app", "authkit:AuthKit")
    assert code == 2 and "'AuthKit' is a class" in err


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"authkit {cli.version()}"
    assert cli.version() != "unknown"


@pytest.mark.parametrize("command", [[], ["serve"], ["migrate"], ["create-user"],
                                     ["set-role"], ["ban"], ["list-users"]])
def test_help_has_no_markup(capsys, command):
    with pytest.raises(SystemExit):
        cli.main([*command, "--help"])
    text = capsys.readouterr().out
    assert "usage: authkit" in text
    assert "`" not in text and "**" not in text


def test_create_user_reads_the_password_and_applies_the_policy(env, capsys):
    env.setattr("sys.stdin", io.StringIO("short\n"))
    code, _, err = run(capsys, "create-user", "--email", "a@example.com", "--name", "A")
    assert code == 2 and "too short: use at least 8 characters" in err
    env.setattr("sys.stdin", io.StringIO("long-enough-1\n"))
    code, out, _ = run(capsys, "create-user", "--email", "a@example.com", "--name", "A")
    assert code == 0 and "<a@example.com>" in out
    auth = cli.load_app(None)
    assert auth.api.sign_in_email(body={"email": "a@example.com",
                                        "password": "long-enough-1"}).user.name == "A"


def test_create_user_prompts_on_a_terminal(env, capsys):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    answers = iter(["pass-word-9", "pass-word-9"])
    env.setattr("sys.stdin", Terminal())
    env.setattr("getpass.getpass", lambda prompt: next(answers))
    code, out, _ = run(capsys, "create-user", "--email", "t@example.com", "--name", "T")
    assert code == 0 and "<t@example.com>" in out
    answers = iter(["pass-word-9", "pass-word-8"])
    code, _, err = run(capsys, "create-user", "--email", "u@example.com", "--name", "U")
    assert code == 2 and "the two passwords differ" in err


def test_development_secret_warning_prints_once(env, capsys):
    env.delenv("AUTHKIT_SECRET")
    env.setenv(settings._WARNED_ENV, "")  # restored (unset) after the test
    settings.from_env()
    settings.from_env()  # as a --workers child process would
    assert capsys.readouterr().err.count("no AUTHKIT_SECRET set") == 1
