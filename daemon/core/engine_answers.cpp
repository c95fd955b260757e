// What the engine does with each answer: feed the pacer, screen for a refused key, then route
// it to the run, the list round, the orphan or the foreign task it was for. Each answer is
// classified once here (api_answer.hpp), so a run machine only ever sees typed outcomes.
// See engine.hpp.
#include <string>

#include "core/api_answer.hpp"
#include "core/engine.hpp"

namespace zefortd {

void engine::pace(const request_info& info, const transport_result& result, instant now) {
  const load_signal signal = load_of(result);
  if (!queue_.done(signal, info.sent_at, now.steady)) return;
  emit(events::pacing_changed{queue_.rate(), queue_.window(), signal == load_signal::throttled});
}

void engine::on_response(std::uint64_t request, const transport_result& result, instant now) {
  auto it = requests_.find(request);
  if (it == requests_.end()) return;
  pace(it->second, result, now);
  if ((it->second.cls == request_class::dismiss ||
       it->second.cls == request_class::foreign_dismiss) &&
      dismissing_ > 0)
    --dismissing_;
  emit(events::request_done{it->second.method, it->second.target,
                            result.ec && !result.body_too_large ? 0u : result.status,
                            now.steady - it->second.sent_at});
  if (exited_) {
    requests_.erase(it);
    return;
  }
  if (screen_key(request, it->second, result, now)) {
    settle(now);
    return;
  }
  const request_info info = std::move(it->second);
  requests_.erase(it);
  switch (info.cls) {
    case request_class::lookup_page:
    case request_class::status_page:
      on_page_answer(info, result, now);
      break;
    case request_class::foreign_dismiss:
      on_foreign_answer(info, result, now);
      break;
    default:
      if (is_orphan_key(info.key))
        on_orphan_answer(info, result, now);
      else if (auto r = runs_.find(info.key); r != runs_.end())
        on_run_answer(r->second, info.key, info, result, now);
  }
  if (info.cls == request_class::submit) on_post_settled(request, info.key, now);
  settle(now);
}

void engine::deliver_polled(const std::string& run, const task& answer, bool from_list,
                            instant now) {
  auto it = runs_.find(run);
  if (it == runs_.end()) return;
  // What the journal, the log and `status` keep of the server's words, cleaned.
  task t;
  t.id = answer.id;
  t.backend_status = clean(answer.backend_status);
  t.backend_status_info = clean(answer.backend_status_info);
  t.frontend_status = answer.frontend_status;
  if (answer.state() != backend_state::running) t.data = answer.data;
  auto& m = it->second.machine;
  const auto& s = m.state();
  emit(events::polled{run, s.intent.job, t.id, t.backend_status, from_list});
  if (t.state() != backend_state::running)
    emit(events::finished{run, s.intent.job, t.id, t.backend_status, t.backend_status_info,
                          t.contracts_touched()});
  advance(run, m.on_polled(t, now), now);
}

void engine::on_run_answer(run_slot& slot, const std::string& run, const request_info& info,
                           const transport_result& result, instant now) {
  auto& m = slot.machine;
  const auto& s = m.state();
  const std::string what = std::string(to_string(info.method)) + " " + info.target;
  switch (info.cls) {
    case request_class::submit: {
      release_submit_slot(slot);
      auto answer = submit_answer(result, what, wall(now));
      if (answer) {
        run_of_task_[answer->id] = run;
        emit(events::submitted{run, s.intent.job, answer->id, false});
        advance(run, m.on_submitted(*answer, now), now);
      } else {
        const api_failure f = cleaned(answer.error());
        slot.retrying = true;
        emit(events::retry{run, s.intent.job, "submit", f.message, 0});
        advance(run, m.on_submit_failed(f, now), now);
      }
      return;
    }
    case request_class::poll: {
      auto answer = poll_answer(result, s.task, what, wall(now));
      if (answer) {
        deliver_polled(run, *answer, false, now);
      } else {
        const std::string label = "poll of task " + s.task;
        const api_failure f = cleaned(answer.error());
        slot.retrying = true;
        emit(events::retry{run, s.intent.job, label, f.message, 0});
        advance(run, m.on_poll_failed(f, now), now);
      }
      return;
    }
    case request_class::dismiss: {
      auto answer = dismiss_answer(result, what, wall(now));
      if (answer) {
        emit(events::dismissed{run, s.intent.job, s.task});
        advance(run, m.on_dismissed(now), now);
      } else {
        const std::string label = "dismiss of task " + s.task;
        const api_failure f = cleaned(answer.error());
        slot.retrying = true;
        emit(events::retry{run, s.intent.job, label, f.message, 0});
        advance(run, m.on_dismiss_failed(f, now), now);
      }
      return;
    }
    default:
      return;
  }
}

void engine::on_foreign_answer(const request_info& info, const transport_result& result,
                               instant now) {
  foreign_pending_.erase(info.key);
  auto answer = dismiss_answer(result, "PATCH " + info.target, wall(now));
  const std::string error = answer ? std::string() : clean(answer.error().message);
  emit(events::foreign_dismissed{info.key, error});
}

}  // namespace zefortd
