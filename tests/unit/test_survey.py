from __future__ import annotations

from uuid import uuid4

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from domain.errors import InvalidInputError, TransitionRefusedError
from domain.survey import Scores, Survey, SurveyStatus
from domain.values import Sealed
from tests.support import meta, minutes
from tests.unit.replay import assert_replays_equal

FIVES = Scores(5, 5, 5, 5, 5)


def sent_survey() -> Survey:
    return Survey.send(meta(), uuid4(), subject="order", subject_id=uuid4(), via="sms", id=uuid4())


def test_a_sent_survey_records_the_response_and_its_scores() -> None:
    # given a survey sent by sms
    survey = sent_survey()
    # when the customer answers
    survey.respond(meta(minutes(5)), Scores(4, 5, 3, 2, 1), comment=None)
    # then it is responded with those scores
    assert survey.status == SurveyStatus.RESPONDED
    assert survey.scores == Scores(4, 5, 3, 2, 1)
    assert_replays_equal(survey)


def test_an_unanswered_survey_expires() -> None:
    survey = sent_survey()
    survey.expire(meta(minutes(60 * 72)))
    assert survey.status == SurveyStatus.EXPIRED


@pytest.mark.parametrize("closing", ["respond", "expire"])
def test_a_finished_survey_refuses_both_answer_and_expiry(closing: str) -> None:
    survey = sent_survey()
    survey.expire(meta()) if closing == "expire" else survey.respond(meta(), FIVES, None)
    with pytest.raises(TransitionRefusedError) as refused:
        survey.respond(meta(), FIVES, None)
    assert refused.value.action == "respond"
    with pytest.raises(TransitionRefusedError):
        survey.expire(meta())


@pytest.mark.parametrize("bad", [0, 6, -1, True, 2.5])
def test_scores_outside_one_to_five_are_invalid(bad: object) -> None:
    with pytest.raises(InvalidInputError) as invalid:
        Scores(5, 5, bad, 5, 5)  # type: ignore[arg-type]
    assert invalid.value.field == "scores.after_sales"


def test_unknown_channel_is_invalid_and_records_nothing() -> None:
    with pytest.raises(InvalidInputError) as invalid:
        Survey.send(meta(), uuid4(), subject="order", subject_id=uuid4(), via="pigeon", id=uuid4())
    assert invalid.value.field == "via"


def test_a_comment_sealed_for_another_customer_is_refused() -> None:
    survey = sent_survey()
    with pytest.raises(InvalidInputError):
        survey.respond(meta(), FIVES, Sealed(subject=str(uuid4()), token="x"))
    assert survey.status == SurveyStatus.SENT
    assert len(survey.collect_events()) == 1


class SurveyMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.survey = sent_survey()

    @rule(scores=st.lists(st.integers(1, 5), min_size=5, max_size=5))
    def respond(self, scores: list[int]) -> None:
        try:
            self.survey.respond(meta(), Scores(*scores), None)
        except TransitionRefusedError:
            assert self.survey.status != SurveyStatus.SENT

    @rule()
    def expire(self) -> None:
        try:
            self.survey.expire(meta())
        except TransitionRefusedError:
            assert self.survey.status != SurveyStatus.SENT

    @invariant()
    def responded_exactly_when_scored(self) -> None:
        assert (self.survey.status == SurveyStatus.RESPONDED) == (self.survey.scores is not None)

    @invariant()
    def replay_rebuilds_an_equal_survey(self) -> None:
        assert_replays_equal(self.survey)


TestSurveyMachine = SurveyMachine.TestCase
