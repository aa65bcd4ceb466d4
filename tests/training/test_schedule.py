"""The schedule: the new-data rule, the job store in the database, resume at start."""

from __future__ import annotations

import pytest

from tests.training.pipeline.test_pipeline import collector
from training import schedule
from training.config import TrainingSettings
from training.storage.runs import RunStore
from training.storage.schema import Example


def add_example(db, text: str = "Great save by the goalie", label: str = "hockey") -> int:
    with db.session() as session:
        row = Example(text=text, label=label, source="button")
        session.add(row)
        session.flush()
        return row.id


def finished_run(db, upto: int) -> None:
    runs = RunStore(db)
    run = runs.create(backend="local", base_model="local", examples_upto=upto)
    runs.finish(run.id, status="succeeded")


@pytest.mark.unit
def test_no_new_examples_skips_the_run(settings, database) -> None:
    newest = add_example(database)
    finished_run(database, upto=newest)
    assert schedule.retrain_if_needed(settings, database, collector=collector()) is None
    assert len(RunStore(database).list()) == 1  # no run was started


@pytest.mark.e2e
def test_a_new_example_starts_a_run(settings, database) -> None:
    finished_run(database, upto=add_example(database))
    newest = add_example(database, "Home run in the ninth", "baseball")
    outcome = schedule.retrain_if_needed(settings, database, collector=collector(upto=newest))
    assert outcome is not None
    assert outcome.run.trigger == "schedule"
    assert outcome.run.backend == "local"  # no OpenAI key configured
    assert outcome.run.status == "succeeded"


@pytest.mark.e2e
def test_force_starts_without_new_examples(settings, database) -> None:
    finished_run(database, upto=add_example(database))
    outcome = schedule.retrain_if_needed(settings, database, force=True, collector=collector())
    assert outcome is not None
    assert outcome.run.status == "succeeded"


@pytest.mark.unit
def test_a_failed_run_does_not_count_as_learned(database) -> None:
    newest = add_example(database)
    runs = RunStore(database)
    run = runs.create(backend="local", base_model="local", examples_upto=newest)
    runs.finish(run.id, status="failed")
    assert schedule.has_new_examples(database)


@pytest.mark.unit
def test_a_run_in_progress_makes_the_tick_skip(settings, database) -> None:
    add_example(database)
    RunStore(database).create_locked(backend="openai", base_model="babbage-002")
    assert schedule.retrain_if_needed(settings, database, collector=collector()) is None


@pytest.mark.unit
def test_scheduler_job_is_stored_in_the_database_once(settings, database) -> None:
    url = database.engine.url.render_as_string(hide_password=False)
    cron = settings.with_changes(
        database_url=url, training=TrainingSettings(retrain_cron="15 3 * * *")
    )
    for _ in range(2):  # a redeploy builds it again: still one job
        scheduler = schedule.build_scheduler(cron, blocking=False)
        scheduler.start(paused=True)
        jobs = scheduler.get_jobs()
        scheduler.shutdown(wait=False)
    assert sorted(j.id for j in jobs) == sorted([schedule.JOB_ID, schedule.CORRECTIONS_JOB_ID])
    [job] = [j for j in jobs if j.id == schedule.JOB_ID]
    assert job.id == schedule.JOB_ID
    assert job.func is schedule.scheduled_retrain
    assert job.coalesce is True
    assert job.misfire_grace_time == schedule.MISFIRE_GRACE_SECONDS
    assert str(job.trigger.fields[5]) == "3"  # hour
    from sqlalchemy import inspect

    assert "apscheduler_jobs" in inspect(database.engine).get_table_names()


@pytest.mark.unit
def test_a_bad_cron_expression_names_the_variable(settings) -> None:
    from training.errors import ConfigError

    bad = settings.with_changes(training=TrainingSettings(retrain_cron="every monday"))
    with pytest.raises(ConfigError, match="SPORTBOT_RETRAIN_CRON"):
        schedule.build_scheduler(bad, blocking=False)


@pytest.mark.unit
def test_scheduled_function_is_importable_by_reference() -> None:
    from apscheduler.util import obj_to_ref, ref_to_obj

    ref = obj_to_ref(schedule.scheduled_retrain)
    assert ref == "training.schedule:scheduled_retrain"
    assert ref_to_obj(ref) is schedule.scheduled_retrain


@pytest.mark.unit
def test_enough_new_corrections_make_a_run_pay(settings, database) -> None:
    from training.config import TeachingSettings

    every_three = settings.with_changes(teaching=TeachingSettings(retrain_after=3))
    finished_run(database, upto=add_example(database))
    add_example(database, "oppo taco", "baseball")
    add_example(database, "bar down", "hockey")

    assert schedule.new_corrections(database) == 2
    assert not schedule.corrections_pay(every_three, database)
    add_example(database, "tendy stood on his head", "hockey")
    assert schedule.corrections_pay(every_three, database)
    off = settings.with_changes(teaching=TeachingSettings(retrain_after=0))
    assert not schedule.corrections_pay(off, database)


@pytest.mark.unit
def test_the_corrections_job_is_not_added_when_switched_off(settings, database) -> None:
    from training.config import TeachingSettings

    url = database.engine.url.render_as_string(hide_password=False)
    off = settings.with_changes(database_url=url, teaching=TeachingSettings(retrain_after=0))
    scheduler = schedule.build_scheduler(off, blocking=False)
    scheduler.start(paused=True)
    ids = [job.id for job in scheduler.get_jobs()]
    scheduler.shutdown(wait=False)
    assert ids == [schedule.JOB_ID]
