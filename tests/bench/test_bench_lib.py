"""The benchmark helpers that turn samples into the figures of bench/README.md."""

import pytest

from bench import lib
from bench.report import END, START, figure, replace_between_markers


def test_percentile_of_one_sample_is_that_sample():
    assert lib.percentile([7.0], 50) == 7.0
    assert lib.percentile([7.0], 95) == 7.0


def test_median_of_an_even_count_lies_between_the_middle_samples():
    assert lib.percentile([4, 1, 3, 2], 50) == 2.5


def test_p95_interpolates_between_the_closest_ranks():
    samples = list(range(1, 101))  # 1..100
    assert lib.percentile(samples, 95) == pytest.approx(95.05)
    assert lib.percentile(samples, 0) == 1
    assert lib.percentile(samples, 100) == 100


def test_percentile_does_not_depend_on_the_order_of_the_samples():
    assert lib.percentile([9, 1, 5, 3, 7], 95) == lib.percentile([1, 3, 5, 7, 9], 95)


def test_percentile_refuses_no_samples_and_out_of_range_levels():
    with pytest.raises(ValueError, match="no values"):
        lib.percentile([], 50)
    with pytest.raises(ValueError, match="between 0 and 100"):
        lib.percentile([1], 101)


def test_summary_reports_count_median_p95_and_extremes():
    stats = lib.summary([10, 20, 30, 40, 1000])
    assert stats == {
        "n": 5,
        "median": 30,
        "p95": pytest.approx(808),
        "min": 10,
        "max": 1000,
        "mean": 220,
    }


def test_rate_summary_gives_the_median_rate_and_the_slow_end():
    stats = lib.rate_summary(100_000, [1.0, 2.0, 1.0, 1.0, 4.0])
    assert stats["n"] == 5
    assert stats["median"] == 100_000  # the median run took 1 s
    assert stats["best"] == 100_000
    assert stats["p95"] == pytest.approx(100_000 / 3.6)  # the slow end is slower than the median
    with pytest.raises(ValueError, match="at least one item"):
        lib.rate_summary(0, [1.0])


def test_figures_are_shown_with_their_unit():
    assert figure(61234.4, "/s") == "61,234/s"
    assert figure(12.345, "ms") == "12.3 ms"
    assert figure(41.96, "s") == "42.0 s"
    assert figure(None, "ms") == "—"


def test_a_rerun_replaces_the_table_between_the_markers_and_nothing_else():
    readme = f"# Bench\n\nIntro.\n\n{START}\nold table\n{END}\n\nAfter.\n"
    updated = replace_between_markers(readme, "| new |")
    assert updated == f"# Bench\n\nIntro.\n\n{START}\n| new |\n{END}\n\nAfter.\n"
    assert replace_between_markers(updated, "| newer |").count(START) == 1


def test_a_readme_without_markers_is_refused():
    with pytest.raises(ValueError, match="markers"):
        replace_between_markers("# Bench\n", "| table |")


def test_the_bench_mail_log_has_one_line_per_message_with_its_outbox_key(tmp_path, settings):
    from django.core import mail

    settings.EMAIL_BACKEND = "bench.mail.NotificationLogBackend"
    settings.BENCH_MAIL_LOG = str(tmp_path / "mail.log")
    for key in ("appointment:1:reminder:48h", "appointment:1:reminder:2h"):
        mail.EmailMessage(
            "Reminder", "See you soon", to=["runner@example.test"],
            headers={"X-Backstride-Notification": key},
        ).send()  # fmt: skip
    lines = (tmp_path / "mail.log").read_text().splitlines()
    assert lines == ["appointment:1:reminder:48h", "appointment:1:reminder:2h"]
