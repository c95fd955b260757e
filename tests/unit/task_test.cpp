// Tests for core/task: the reference's task JSON (pending and done), tolerance of unknown and
// missing fields, refusal of non-tasks, and task lists as arrays and as pages.
#include "core/task.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace zefortd {
namespace {

namespace json = boost::json;

// Verbatim from reference/zefort-bulk-operations.txt, §1 (the answer to the bulk update).
constexpr const char* reference_pending = R"({"id": "task_1JgdgKhoZqSWVUIzgL",
 "details": {"query_params": {},
             "data": {"attributes": {"end_date": "2023-02-15"},
                      "status": "done",
                      "search": {"q_tags": "contracts of service"}}},
 "backend_status": "pending",
 "backend_status_info": "",
 "frontend_status": "pending",
 "description": "Contract Bulk operation"})";

// Verbatim from §2 (polling a finished task).
constexpr const char* reference_done = R"({
    "id": "task_1K8WmjFq1eqaeawrUi",
    "details": {"data": {"contracts": ["ct_1KmjVahd4Hg6W7l18c",  
                                       "ct_1JXncwxR5skmpC4dDB"]},
                "query_params": {}},
    "backend_status": "done",
    "backend_status_info": "",
    "frontend_status": "pending",
    "description": "Contract Bulk operation"
})";

TEST(TaskStatus, ClassifiesBackendStatus) {
  EXPECT_EQ(classify_backend_status("done"), backend_state::done);
  EXPECT_EQ(classify_backend_status("DONE"), backend_state::done);
  for (const char* s : {"failed", "error", "cancelled", "canceled", "Failed"})
    EXPECT_EQ(classify_backend_status(s), backend_state::failed) << s;
  for (const char* s : {"pending", "started", "running", "", "queued", "retrying", "done "})
    EXPECT_EQ(classify_backend_status(s), backend_state::running) << s;
}

TEST(TaskParse, ReferencePendingTask) {
  auto t = parse_task(json::parse(reference_pending));
  ASSERT_TRUE(t) << t.error().message();
  EXPECT_EQ(t->id, "task_1JgdgKhoZqSWVUIzgL");
  EXPECT_EQ(t->backend_status, "pending");
  EXPECT_EQ(t->backend_status_info, "");
  EXPECT_EQ(t->frontend_status, "pending");
  EXPECT_EQ(t->description, "Contract Bulk operation");
  EXPECT_EQ(t->state(), backend_state::running);
  EXPECT_EQ(t->data, json::parse(R"({"attributes": {"end_date": "2023-02-15"}, "status": "done",
                                     "search": {"q_tags": "contracts of service"}})"));
  EXPECT_EQ(t->contracts_touched(), 0u);
}

TEST(TaskParse, ReferenceDoneTask) {
  auto t = parse_task(json::parse(reference_done));
  ASSERT_TRUE(t) << t.error().message();
  EXPECT_EQ(t->id, "task_1K8WmjFq1eqaeawrUi");
  EXPECT_EQ(t->state(), backend_state::done);
  EXPECT_EQ(t->frontend_status, "pending");
  EXPECT_EQ(t->contracts_touched(), 2u);
  EXPECT_EQ(t->data.at("contracts").at(0), "ct_1KmjVahd4Hg6W7l18c");
}

TEST(TaskParse, UnknownFieldsAreIgnored) {
  auto t = parse_task(json::parse(R"({"id": "task_x", "backend_status": "failed",
      "backend_status_info": "search matched nothing", "created": "2023-02-15T12:00:00Z",
      "progress": 0.5, "owner": {"id": 7}, "details": {"data": null, "extra": [1, 2]}})"));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->state(), backend_state::failed);
  EXPECT_EQ(t->backend_status_info, "search matched nothing");
  EXPECT_TRUE(t->data.is_null());
}

TEST(TaskParse, MissingOptionalFieldsTakeNeutralValues) {
  auto t = parse_task(json::parse(R"({"id": "task_min"})"));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->id, "task_min");
  EXPECT_EQ(t->backend_status, "");
  EXPECT_EQ(t->state(), backend_state::running);
  EXPECT_EQ(t->frontend_status, "");
  EXPECT_EQ(t->description, "");
  EXPECT_TRUE(t->data.is_null());
  EXPECT_EQ(t->contracts_touched(), 0u);

  auto no_data = parse_task(json::parse(R"({"id": "a", "details": {"query_params": {}}})"));
  ASSERT_TRUE(no_data);
  EXPECT_TRUE(no_data->data.is_null());
  auto details_not_object = parse_task(json::parse(R"({"id": "a", "details": "n/a"})"));
  ASSERT_TRUE(details_not_object);
  EXPECT_TRUE(details_not_object->data.is_null());
}

TEST(TaskParse, OddlyTypedTextFieldsKeptAsJson) {
  auto t = parse_task(json::parse(
      R"({"id": "a", "backend_status": null, "backend_status_info": {"code": 3}, "description": 5})"));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->backend_status, "");
  EXPECT_EQ(t->backend_status_info, R"({"code":3})");
  EXPECT_EQ(t->description, "5");
}

TEST(TaskParse, ContractsThatAreNotAnArrayCountZero) {
  auto t = parse_task(json::parse(R"({"id": "a", "details": {"data": {"contracts": "ct_1"}}})"));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->contracts_touched(), 0u);
}

TEST(TaskParse, NonTasksAreRefused) {
  for (const char* bad : {R"([])", R"("task_x")", "null", "42", R"({})", R"({"id": ""})",
                          R"({"id": null})", R"({"id": 17})", R"({"detail": "Not found."})"}) {
    auto t = parse_task(json::parse(bad));
    ASSERT_FALSE(t) << bad;
    EXPECT_EQ(t.error(), make_error_code(errc::not_a_task)) << bad;
  }
}

TEST(TaskParse, ErrorCategory) {
  const auto ec = make_error_code(errc::not_a_task);
  EXPECT_STREQ(ec.category().name(), "zefortd");
  EXPECT_FALSE(ec.message().empty());
  EXPECT_NE(ec.message(), make_error_code(errc::bad_response).message());
  const boost::system::error_code implicit = errc::auth_failed;  // is_error_code_enum
  EXPECT_EQ(implicit, make_error_code(errc::auth_failed));
}

TEST(TaskList, PlainArray) {
  auto list = parse_task_list(
      json::parse("[" + std::string(reference_pending) + "," + reference_done + "]"));
  ASSERT_TRUE(list);
  ASSERT_EQ(list->tasks.size(), 2u);
  EXPECT_EQ(list->tasks[0].id, "task_1JgdgKhoZqSWVUIzgL");
  EXPECT_EQ(list->tasks[1].id, "task_1K8WmjFq1eqaeawrUi");
  EXPECT_EQ(list->next, std::nullopt);
  EXPECT_EQ(list->skipped, 0u);

  auto empty = parse_task_list(json::parse("[]"));
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->tasks.empty());
}

TEST(TaskList, PageWithNext) {
  auto list = parse_task_list(json::parse(R"({"count": 3,
      "next": "https://sandbox.zefort.com/api/tasks/?page=2", "previous": null,
      "results": [{"id": "task_a", "backend_status": "pending"},
                  {"id": "task_b", "backend_status": "done"}]})"));
  ASSERT_TRUE(list);
  ASSERT_EQ(list->tasks.size(), 2u);
  EXPECT_EQ(list->tasks[1].state(), backend_state::done);
  EXPECT_EQ(list->next, "https://sandbox.zefort.com/api/tasks/?page=2");
}

TEST(TaskList, LastPageHasNullOrNoNext) {
  for (const char* last :
       {R"({"count": 1, "next": null, "previous": "p1", "results": [{"id": "a"}]})",
        R"({"results": [{"id": "a"}]})", R"({"next": "", "results": [{"id": "a"}]})"}) {
    auto list = parse_task_list(json::parse(last));
    ASSERT_TRUE(list) << last;
    EXPECT_EQ(list->next, std::nullopt) << last;
    EXPECT_EQ(list->tasks.size(), 1u) << last;
  }
}

TEST(TaskList, EntriesWithoutIdAreSkippedNotFatal) {
  auto list = parse_task_list(json::parse(
      R"([{"id": "a"}, {"backend_status": "done"}, 5, null, {"id": ""}, {"id": "b"}])"));
  ASSERT_TRUE(list);
  ASSERT_EQ(list->tasks.size(), 2u);
  EXPECT_EQ(list->tasks[0].id, "a");
  EXPECT_EQ(list->tasks[1].id, "b");
  EXPECT_EQ(list->skipped, 4u);
}

TEST(TaskList, GarbageIsBadResponse) {
  for (const char* bad : {"null", "42", R"("tasks")", R"({})", R"({"detail": "Not found."})",
                          R"({"results": {"id": "a"}})", R"({"results": null})",
                          R"({"next": 2, "results": []})", R"({"id": "task_single"})"}) {
    auto list = parse_task_list(json::parse(bad));
    ASSERT_FALSE(list) << bad;
    EXPECT_EQ(list.error(), make_error_code(errc::bad_response)) << bad;
  }
}

}  // namespace
}  // namespace zefortd
