//! Plans (the plan service): releases (`PI`) with their sprints
//! (`Iteration`), and milestones (`PlanMilestone`). Create, list (each
//! release with its sprints), show, update, change status, baseline and
//! delete in batches. Requests give dates as `yyyy-MM-dd`; answers as
//! Unix milliseconds, as the SDK's PlanResponseResult types them.

use serde_json::{Value, json};

use super::{
    ACTIVE, Answer, Call, EMULATOR_USER_ID, PLAN_NOT_FOUND, Plan, Project, Reply, State, body,
    error, find_project, invalid, next_id, now_ms, path_param, project_mut, query_param, reply,
    str_field, strings, text,
};

/// `CreatePlans`: a sprint names an existing release as its parent.
pub(super) fn create(state: &mut State, call: &Call<'_>) -> Reply {
    let request = body(call);
    let title = text(request, "title").ok_or_else(|| invalid("The plan title is required."))?;
    let category = str_field(request, "category")
        .unwrap_or_default()
        .to_string();
    let (start, end) = (
        date_field(request, "plan_start_date")?,
        date_field(request, "plan_end_date")?,
    );
    check_dates(&start, &end)?;
    let (last_id, project) = project_mut(state, call);
    // Only a sprint has a release; another plan's `parent_id` means nothing.
    let parent_id = text(request, "parent_id").filter(|_| category == "Iteration");
    match (category.as_str(), &parent_id) {
        ("Iteration", None) => return Err(invalid("A sprint (Iteration) needs a parent_id.")),
        (_, Some(parent)) => release(project, parent)?,
        _ => {}
    }
    let now = now_ms();
    let plan = Plan {
        id: next_id(last_id),
        title,
        category,
        description: text(request, "description"),
        status: "planned".into(),
        baseline: None,
        parent_id,
        plan_start_date: start,
        plan_end_date: end,
        workload: text(request, "workload"),
        owner: text(request, "owner"),
        created_ms: now,
        modified_ms: now,
    };
    project.plans.insert(plan.id.clone(), plan.clone());
    reply(plan_json(project, &plan))
}

/// `ListPlan`: each release and milestone, with its sprints, filtered by
/// `key_word` (in the title of the plan or of one of its sprints) and
/// `updated_time_interval` (`from,to` in milliseconds).
pub(super) fn list(state: &State, call: &Call<'_>) -> Reply {
    let key_word = query_param(call, "key_word").filter(|k| !k.is_empty());
    let interval = match query_param(call, "updated_time_interval") {
        Some(text) => Some(interval(text)?),
        None => None,
    };
    let matches = |plan: &Plan| {
        key_word.is_none_or(|k| plan.title.contains(k))
            && interval.is_none_or(|(from, to)| (from..=to).contains(&plan.modified_ms))
    };
    let result: Vec<Value> = find_project(state, call)
        .into_iter()
        .flat_map(|project| {
            project
                .plans
                .values()
                .filter(|p| p.parent_id.is_none())
                .filter(|p| matches(p) || children(project, &p.id).any(matches))
                .map(|p| plan_json(project, p))
        })
        .collect();
    let count = result.len();
    Ok(Answer::Json(json!({
        "status": "success",
        "message": null,
        "result": result,
        "page": { "page": 1, "size": count, "count": count },
    })))
}

/// `ListPlanDetail`.
pub(super) fn show(state: &State, call: &Call<'_>) -> Reply {
    let plan_id = path_param(call, "plan_id");
    let project = find_project(state, call).ok_or_else(|| not_found(plan_id))?;
    let plan = project
        .plans
        .get(plan_id)
        .ok_or_else(|| not_found(plan_id))?;
    reply(plan_json(project, plan))
}

/// `UpdatePlanInfo`: the members of PlanVO that a user sets (title,
/// description, dates, workload, owner, baseline, a sprint's release);
/// the others (id, category, state, status, children, creators, created
/// date) are the service's and are ignored.
pub(super) fn update(state: &mut State, call: &Call<'_>) -> Reply {
    let plan_id = path_param(call, "plan_id");
    let request = body(call);
    let (_, project) = project_mut(state, call);
    let mut plan = project
        .plans
        .get(plan_id)
        .cloned()
        .ok_or_else(|| not_found(plan_id))?;
    if let Some(title) = text(request, "title") {
        plan.title = title;
    }
    if request.get("description").is_some_and(|d| !d.is_null()) {
        plan.description = str_field(request, "description").map(str::to_string);
    }
    if request.get("plan_start_date").is_some_and(|d| !d.is_null()) {
        plan.plan_start_date = date_field(request, "plan_start_date")?;
    }
    if request.get("plan_end_date").is_some_and(|d| !d.is_null()) {
        plan.plan_end_date = date_field(request, "plan_end_date")?;
    }
    check_dates(&plan.plan_start_date, &plan.plan_end_date)?;
    if let Some(workload) = text(request, "workload") {
        plan.workload = Some(workload);
    }
    if let Some(owner) = text(request, "owner") {
        plan.owner = Some(owner);
    }
    if let Some(baseline) = str_field(request, "baseline") {
        plan.baseline = baseline_of(baseline)?;
    }
    if let Some(parent) = text(request, "parent_id")
        && plan.category == "Iteration"
    {
        release(project, &parent)?;
        plan.parent_id = Some(parent);
    }
    plan.modified_ms = now_ms();
    project.plans.insert(plan.id.clone(), plan.clone());
    reply(plan_json(project, &plan))
}

/// `ChangePlanStatus`: start and restart make it `going`, complete
/// `ended`, reset `planned`; complete and move name the sprint that work
/// items move to (the empty string: "to be planned").
pub(super) fn change_status(state: &mut State, call: &Call<'_>) -> Reply {
    let plan_id = path_param(call, "plan_id");
    let request = body(call);
    let operate = str_field(request, "operate").unwrap_or_default();
    let target = str_field(request, "move_to_sprint_id");
    let (_, project) = project_mut(state, call);
    let mut plan = project
        .plans
        .get(plan_id)
        .cloned()
        .ok_or_else(|| not_found(plan_id))?;
    if matches!(operate, "complete" | "move") {
        match target {
            None => {
                return Err(invalid(format!(
                    "`move_to_sprint_id` is required to {operate} a plan."
                )));
            }
            Some("") => {}
            Some(sprint) => {
                if project
                    .plans
                    .get(sprint)
                    .is_none_or(|p| p.category != "Iteration")
                {
                    return Err(invalid(format!(
                        "{sprint} is not a sprint of this project."
                    )));
                }
            }
        }
    }
    match operate {
        "start" | "restart" => plan.status = "going".into(),
        "complete" => plan.status = "ended".into(),
        "reset" => plan.status = "planned".into(),
        "move" => {}
        other => return Err(invalid(format!("Unknown operation {other}."))),
    }
    plan.modified_ms = now_ms();
    project.plans.insert(plan.id.clone(), plan);
    // The emulator does not schedule work items into plans, so completing
    // one leaves no AR unfinished.
    reply(json!({ "cannot_finish_ar": [] }))
}

/// `BatchDeletePlans`: a release goes with its sprints; an unknown id is
/// reported in `failed`.
pub(super) fn delete_batch(state: &mut State, call: &Call<'_>) -> Reply {
    let ids = strings(body(call).get("ids"));
    let (_, project) = project_mut(state, call);
    batch(ids, |id| {
        project.plans.get(id)?;
        let sprints: Vec<String> = children(project, id).map(|p| p.id.clone()).collect();
        for sprint in sprints {
            project.plans.remove(&sprint);
        }
        project.plans.remove(id)
    })
}

/// `BatchUpdateBaseline`: `baselined` or `unbaseline` for each plan; an
/// unknown id is reported in `failed`.
pub(super) fn baseline_batch(state: &mut State, call: &Call<'_>) -> Reply {
    let request = body(call);
    let ids = strings(request.get("ids"));
    let baseline = str_field(&request["attribute"], "baseline")
        .ok_or_else(|| invalid("`attribute.baseline` is required."))?;
    let baseline = baseline_of(baseline)?;
    let (_, project) = project_mut(state, call);
    let now = now_ms();
    batch(ids, |id| {
        let plan = project.plans.get_mut(id)?;
        plan.baseline = baseline.clone();
        plan.modified_ms = now;
        Some(plan.clone())
    })
}

/// A batch's answer: each id done by `apply` (which answers `None` for an
/// unknown one) in `success`, the others in `failed`.
fn batch(ids: Vec<String>, mut apply: impl FnMut(&str) -> Option<Plan>) -> Reply {
    let (mut success, mut failed) = (Vec::new(), Vec::new());
    for id in ids {
        let entry = json!({ "id": id, "modified_by": EMULATOR_USER_ID });
        match apply(&id) {
            Some(_) => success.push(entry),
            None => failed.push(entry),
        }
    }
    reply(json!({
        "success_num": success.len(),
        "fail_num": failed.len(),
        "success": success,
        "failed": failed,
    }))
}

fn not_found(plan_id: &str) -> Answer {
    error(
        404,
        PLAN_NOT_FOUND,
        format!("The plan {plan_id} does not exist."),
    )
}

/// A release of the project, which a sprint can belong to.
fn release(project: &Project, id: &str) -> Result<(), Answer> {
    match project.plans.get(id) {
        Some(plan) if plan.category == "PI" => Ok(()),
        _ => Err(invalid(format!(
            "{id} is not a release (PI) of this project."
        ))),
    }
}

fn children<'p>(project: &'p Project, id: &'p str) -> impl Iterator<Item = &'p Plan> {
    project
        .plans
        .values()
        .filter(move |p| p.parent_id.as_deref() == Some(id))
}

/// `baselined` or `unbaseline` (stored as not baselined); the status
/// `baseline-reviewing` cannot be set.
fn baseline_of(value: &str) -> Result<Option<String>, Answer> {
    match value {
        "baselined" => Ok(Some(value.to_string())),
        "unbaseline" | "" => Ok(None),
        other => Err(invalid(format!(
            "The baseline can be set to `baselined` or `unbaseline`, not `{other}`."
        ))),
    }
}

fn date_field(request: &Value, key: &str) -> Result<String, Answer> {
    let text = str_field(request, key).unwrap_or_default();
    epoch_ms(text).map(|_| text.to_string()).ok_or_else(|| {
        invalid(format!(
            "`{key}` must be a date as yyyy-MM-dd, not `{text}`."
        ))
    })
}

fn check_dates(start: &str, end: &str) -> Result<(), Answer> {
    if epoch_ms(start) > epoch_ms(end) {
        return Err(invalid("A plan cannot end before it starts."));
    }
    Ok(())
}

/// `from,to` in milliseconds.
fn interval(text: &str) -> Result<(u64, u64), Answer> {
    let parse = |t: &str| t.trim().parse::<u64>().ok();
    match text.split_once(',').map(|(a, b)| (parse(a), parse(b))) {
        Some((Some(from), Some(to))) => Ok((from, to)),
        _ => Err(invalid(
            "`updated_time_interval` must be two timestamps in milliseconds, comma-separated.",
        )),
    }
}

/// Midnight UTC of a `yyyy-MM-dd` date, in Unix milliseconds (Howard
/// Hinnant's days-from-civil); `None` for anything else.
pub(super) fn epoch_ms(date: &str) -> Option<u64> {
    let mut parts = date.splitn(3, '-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (y, m, d): (i64, i64, i64) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in_month = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1970..=9999).contains(&y)
        || !(1..=12).contains(&m)
        || d < 1
        || d > days_in_month[(m - 1) as usize]
    {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400_000).ok()
}

/// A plan as PlanResponseResult shows one, with its sprints.
fn plan_json(project: &Project, plan: &Plan) -> Value {
    let children: Vec<Value> = children(project, &plan.id)
        .map(|c| plan_json(project, c))
        .collect();
    json!({
        "id": plan.id,
        "title": plan.title,
        "category": plan.category,
        "description": plan.description,
        "state": ACTIVE,
        "status": plan.status,
        "children": children,
        "created_by": EMULATOR_USER_ID,
        "modified_by": EMULATOR_USER_ID,
        "plan_start_date": epoch_ms(&plan.plan_start_date),
        "plan_end_date": epoch_ms(&plan.plan_end_date),
        "created_date": plan.created_ms,
        "parent_id": plan.parent_id,
        "baseline": plan.baseline.as_deref().unwrap_or(""),
        "workload": plan.workload,
        "owner": plan.owner,
    })
}

#[cfg(test)]
mod tests {
    use super::epoch_ms;

    #[test]
    fn dates_are_days_since_the_epoch_and_nothing_else_parses() {
        assert_eq!(epoch_ms("1970-01-01"), Some(0));
        assert_eq!(epoch_ms("2024-01-01"), Some(1_704_067_200_000));
        assert_eq!(epoch_ms("2024-02-29"), Some(1_709_164_800_000));
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-1-01",
            "24-01-01",
            "",
            "2024-01-01x",
            "+024-01-01",
        ] {
            assert_eq!(epoch_ms(bad), None, "{bad}");
        }
    }
}
