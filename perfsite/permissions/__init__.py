"""Who may do what, when: the one place access rules live.

Every action has one predicate `can_<action>(user, obj)` that answers for the person, the
object, the cycle's phase and the object's state together. The view guards with it, the
htmx fragment endpoint guards with it, the service enforces it, the template asks it
whether to show the button, and the to-do list asks it whether to list the task. Nothing
else re-decides it.

A predicate answers `True`, or a `Refusal`, which is falsy (templates and `if` read it as
no) and says why:
- who: this person may never do this to this object  -> NotAllowed, 403;
- phase: the cycle's phase does not allow it now       -> PhaseError, 409;
- state: the object's state does not allow it          -> StateError, 409.
`ensure(answer)` is the view's guard: it answers 403 for "who" and lets phase and state
refusals through, so the service can explain them next to the form. `enforce(answer)` is
the service's: it raises the refusal's error.

The org rules:
- HR admins administer the org chart, cycles and the audit log; they facilitate and read,
  and decide nothing in people's plans.
- Executives see company-wide (read-only on the org) and write strategy targets.
- A department head manages the subtree of the departments they head.
- Staff see their own records; a manager also sees their direct reports.
"""

# Every predicate, by area (one module each); callers say `permissions.can_x`.
from .answers import (  # noqa: F401
    Refusal,
    enforce,
    ensure,
    phase,
    require,
    state,
    who,
)
from .coaching import (  # noqa: F401
    can_check_in,
    can_coach,
    can_comment_on,
    can_decide_request,
    can_escalate_request,
    can_mark_comment_read,
    can_raise_item,
    can_read_notification,
    can_read_private_notes,
    can_resolve_obstacle,
    can_take_obstacle,
    can_view_coaching_page,
    can_view_item,
    can_view_kpi,
    can_view_overview,
    can_write_private_note,
)
from .cycles import can_move_back, later_phase_records  # noqa: F401
from .dashboards import (  # noqa: F401
    can_export,
    can_export_completion,
    can_export_results,
    can_print_review,
    can_view_executive_dashboard,
    can_view_hr_dashboard,
    can_view_my_dashboard,
    can_view_team_dashboard,
    dashboard_scope,
)
from .feedback import (  # noqa: F401
    answered_clause,
    can_approve_nominations,
    can_change_anonymity_threshold,
    can_decline_feedback,
    can_edit_feedback_settings,
    can_give_feedback,
    can_nominate_raters,
    can_pick_replacement,
    can_read_feedback,
    can_recompute_scores,
    can_remove_rater,
    can_reopen_feedback,
    can_see_declines,
    can_see_exact_feedback_counts,
    can_see_who_answered,
    can_view_feedback_admin,
    can_view_feedback_report,
    can_view_nominations,
    feedback_cycles_clause,
    feedback_open,
    prime_raters_fixed,
    rater_state_shown,
    raters_fixed,
    submitted_clause,
    threshold_fixed,
)
from .interviews import (  # noqa: F401
    can_acknowledge_interview,
    can_approve_outcomes,
    can_cancel_interview,
    can_close_cycle,
    can_complete_interview,
    can_edit_improvement_plan,
    can_edit_outcome_rules,
    can_override_outcome,
    can_propose_time,
    can_read_prep_notes,
    can_report_on_plan,
    can_resolve_appeal,
    can_schedule_interview,
    can_take_notes,
    can_track_item,
    can_view_interview,
    can_view_interviews,
    can_view_outcomes,
    interview_cycles_clause,
    interview_holder_id,
    interview_people_clause,
    lists_interview_of,
)
from .notifications import (  # noqa: F401  (notifications where people work)
    can_edit_preferences,
    can_manage_channels,
    can_retry_delivery,
    can_send_test,
    can_view_deliveries,
)
from .org import (  # noqa: F401
    can_activate_person,
    can_administer_org,
    can_deactivate_person,
    can_edit_account,
    can_edit_cycle,
    can_edit_department,
    can_edit_person,
    can_list_departments,
    can_list_people,
    can_manage_cycles,
    can_read_audit,
    can_reset_password,
    can_use_cycle,
    can_view_cycle,
    can_view_cycles,
    can_view_department,
    can_view_person,
    department_depth,
    is_executive,
    is_head,
    is_hr,
    kept_with_org_chart,
    managed_department_ids,
    managed_people_clause,
    manages,
    org_version_column,
    people_scope,
    responsible_head_clause,
    responsible_head_id,
    sees_whole_company,
    signs_in_with_directory,
    subtree_ids,
)
from .phases import (  # noqa: F401
    ACTIVE_PHASES,
    ALLOWED_PHASES,
    ENTERED_PHASES,
    closes_cycle,
    enters,
    is_allowed,
    is_one_step,
    moves_forward,
    next_phase,
    phase_clause,
    previous_phase,
    require_phase,
)
from .planning import (  # noqa: F401
    approved_by_clause,
    approver_id,
    assignable_people,
    can_add_goal,
    can_add_kpi,
    can_approve_plan,
    can_assign_kpi,
    can_copy_kpi,
    can_copy_previous_plan,
    can_create_targets,
    can_decide_proposal,
    can_edit_goal,
    can_edit_kpi,
    can_edit_target,
    can_manage_department_goals,
    can_manage_plan_of,
    can_mark_plan_ready,
    can_propose_kpi,
    can_publish_target,
    can_reopen_plan,
    can_retire_target,
    can_return_plan,
    can_set_goal_actual,
    can_submit_plan,
    can_use_planning,
    can_view_department_people,
    can_view_department_plan,
    can_view_draft_targets,
    can_view_goal,
    can_view_plan,
    can_view_plan_of,
    can_view_target,
    plans_may_change,
    revision_needs_reason,
)
from .reviews import (  # noqa: F401
    can_calibrate,
    can_calibrate_ratings,
    can_edit_review_settings,
    can_nudge_reviewers,
    can_read_manager_review,
    can_read_review,
    can_read_self_review,
    can_reopen_review,
    can_view_calibration,
    can_view_results,
    can_view_review_completion,
    can_view_review_settings,
    can_write_manager_review,
    can_write_review,
    can_write_self_review,
    reviewed_by_clause,
    reviewer_id,
    reviews_have_opened,
)
from .signin import (  # noqa: F401  (company sign-in)
    can_sync_directory,
    can_view_signin_settings,
)
from .talent import (  # noqa: F401  (resource allocation and the talent review)
    can_agree_action,
    can_allocate,
    can_assess_potential,
    can_edit_talent_settings,
    can_exceed_allocation,
    can_mark_key_position,
    can_mark_key_positions,
    can_move_in_grid,
    can_name_successor,
    can_see_talent,
    can_view_allocations,
    can_view_department_allocation,
    can_view_key_positions,
    can_view_talent_review,
    talent_people_clause,
)
