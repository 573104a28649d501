"""Assembles the skill: request handlers in priority order, interceptors, the exception handler.

Order matters: the ASK SDK dispatches to the first handler whose can_handle is true. Safety comes first (the
line, its follow-up, the gentle check question), then the exercise (which owns every intent while it runs),
then answers to pending questions, then the rest, and a fallback that re-asks helpfully for any intent
nothing else took.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import CustomSkillBuilder
from ask_sdk_model import RequestEnvelope

from trust_builder.handlers import (
    answers,
    conversation,
    exercise,
    household,
    launch,
    reminders,
    repeat,
    safety,
    screen,
    skill_events,
    standard,
    steps,
)
from trust_builder.household import LoadProgressInterceptor
from trust_builder.serializer import CachedSerializer
from trust_builder.session_guard import ValidateSessionInterceptor
from trust_builder.storage import ProgressStore

if TYPE_CHECKING:  # ask_sdk_core.api_client imports requests: not at a cold start (lazy_api_client.py)
    from ask_sdk_model.services import ApiClient


class TrustSkillBuilder(CustomSkillBuilder):
    """The SDK's builder, with two costs of every warm request taken out (README: Cold start).

    The SDK's lambda_handler builds a new CustomSkill for every request: a fresh configuration and request
    mapper over some 50 handlers, the same each time, since nothing is added once the skill is built. This
    one builds it once, at lambda_handler(). And the skill reads envelopes with CachedSerializer, which
    gives the same objects as the SDK's DefaultSerializer in well under half the time."""

    def create(self) -> CustomSkill:
        skill = super().create()
        skill.serializer = CachedSerializer()
        return skill

    def lambda_handler(self) -> Callable[[Any, Any], dict[str, Any]]:
        skill = self.create()

        def handler(event: Any, context: Any) -> dict[str, Any]:
            # As the SDK's own handler does: the envelope through JSON, so the model never shares the event
            envelope = skill.serializer.deserialize(payload=json.dumps(event), obj_type=RequestEnvelope)
            response = skill.serializer.serialize(skill.invoke(request_envelope=envelope, context=context))
            return response  # type: ignore[return-value]  # a ResponseEnvelope serialises to a dict

        return handler


def build_skill_builder(
    adapter: AbstractPersistenceAdapter, api_client: ApiClient | None = None
) -> CustomSkillBuilder:
    builder = TrustSkillBuilder(persistence_adapter=adapter)
    if api_client is not None:  # the SDK's type comment says ApiClient, though it defaults to None
        builder.api_client = api_client
    for handler in (
        safety.SafetyHandler(),
        safety.SafetyFollowUpHandler(),
        safety.SafetyCheckAnswerHandler(),
        safety.SafetyCheckHandler(),
        safety.SafetyNotMeantHandler(),
        safety.SafetySessionEndedHandler(),
        exercise.TimerRelaunchHandler(),
        exercise.TimerConsentAnswerHandler(),
        reminders.ReminderConsentHandler(),
        exercise.ResumeOfferHandler(),
        exercise.KeepOrLetGoHandler(),
        exercise.WhereInExerciseHandler(),
        exercise.InExerciseHandler(),
        exercise.StartExerciseHandler(),
        reminders.ReminderHandler(),
        reminders.StopRemindersHandler(),
        exercise.ExerciseQuestionOutsideHandler(),
        exercise.NamesOutsideHandler(),
        safety.ProfessionalHelpHandler(),
        household.ConfirmStartOverHandler(),
        household.ConfirmForgetHandler(),
        launch.LaunchHandler(),
        steps.GoToStepHandler(),
        steps.NextStepHandler(),
        steps.PreviousStepHandler(),
        steps.TellMeMoreHandler(),
        steps.ListStepsHandler(),
        steps.WhereAreWeHandler(),
        household.ProgressReportHandler(),
        conversation.WhatDoYouKnowHandler(),
        conversation.AboutListeningHandler(),
        conversation.AboutSkillHandler(),
        conversation.FeelingHandler(),
        conversation.RelationshipQuestionHandler(),
        conversation.SuspicionHandler(),
        conversation.FinishedHandler(),
        conversation.MenuResumeHandler(),
        household.StartOverHandler(),
        household.ForgetUsHandler(),
        answers.YesHandler(),
        answers.NoHandler(),
        repeat.RepeatHandler(),
        standard.HelpHandler(),
        standard.StopHandler(),
        standard.NavigateHomeHandler(),
        exercise.ExerciseSessionEndedHandler(),
        standard.SessionEndedHandler(),
        skill_events.SkillDisabledHandler(),
        standard.FallbackHandler(),
        standard.UnknownRequestHandler(),
    ):
        builder.add_request_handler(handler)
    # First: every later interceptor and handler sees only validated session attributes.
    builder.add_global_request_interceptor(ValidateSessionInterceptor())
    builder.add_global_request_interceptor(screen.TouchAsIntent())  # first: the rest see the intent
    builder.add_global_request_interceptor(LoadProgressInterceptor(ProgressStore(adapter)))
    builder.add_global_request_interceptor(exercise.ParkExerciseInterceptor())
    builder.add_global_response_interceptor(conversation.VaryRepeats())
    builder.add_global_response_interceptor(conversation.CountTurns())
    builder.add_global_request_interceptor(safety.ForgetSafetyOffer())
    builder.add_global_response_interceptor(repeat.RememberLastResponse())
    builder.add_global_response_interceptor(screen.ShowOnScreen())
    builder.add_exception_handler(standard.ApologiseOnError())
    return builder


def build_skill(adapter: AbstractPersistenceAdapter, api_client: ApiClient | None = None) -> CustomSkill:
    return build_skill_builder(adapter, api_client).create()
