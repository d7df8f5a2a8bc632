"""Staff pages through the Flask client: my tasks, decisions, hand-overs, ticket, incidents."""

from __future__ import annotations

import html as html_lib
import re

from sqlalchemy import select

from runtime.flows.models import OutboxMessage, OutboxStatus, Task, TaskStatus
from runtime.tickets.models import Status, Ticket
from tests.app.test_api_tasks import _incident, world_fixture  # noqa: F401  (fixture)
from tests.conftest import PASSWORD, csrf_token

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _post(client, path, data, page="/workspace/tasks"):
    return client.post(path, data={"csrf_token": csrf_token(client, page), **data})


def _flashes(html: str) -> list[str]:
    found = re.findall(r'<div class="flash[^"]*"[^>]*>.*?<p>(.*?)</p>', html, re.S)
    return [html_lib.unescape(m) for m in found]


def test_workspace_opens_the_queues_with_a_link_to_my_tasks(client, world, login):
    """/workspace is the queue page (tests/app/test_queues.py); it links to my tasks."""
    login(world.approver)
    response = client.get("/workspace")
    assert response.status_code == 200 and 'href="/workspace/tasks"' in response.get_data(
        as_text=True)


def test_staff_land_on_the_queues_and_others_where_they_work(client, world):
    """After signing in (and at /), agents and admins land on the queues, designers in the
    form builder, requesters in the portal."""
    for user, home in ((world.approver, "/workspace"), (world.admin, "/workspace"),
                       (world.designer, "/builder/forms"), (world.requester, "/portal")):
        response = client.post("/login", data={
            "email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client)})
        assert response.status_code == 302 and response.headers["Location"] == home, user.email
        assert client.get("/").headers["Location"] == home
        client.post("/logout", data={"csrf_token": csrf_token(client, "/portal")})


def _nav(html: str) -> dict[str, bool]:
    """The header's links: label -> marked as the current page."""
    header = html.split('<header class="site-header">', 1)[1].split("</header>", 1)[0]
    link = r'<li><a href="[^"]*"(?: title="[^"]*")?\s*(aria-current="page")?>([^<]+)</a>'
    links = re.findall(link, header)
    return {label: bool(current) for current, label in links}


def test_staff_navigation_puts_the_queues_first_and_marks_where_i_am(client, world, login):
    """Staff see Queues, Tasks, Knowledge base and one Portal link; the ticket page belongs
    to the queues (header and breadcrumb), the tasks page to Tasks."""
    number = world.submit()
    login(world.approver)
    queue = _nav(client.get("/workspace").get_data(as_text=True))
    assert queue == {"Queues": True, "Tasks": False, "Knowledge base": False, "Portal": False}
    ticket = client.get(f"/workspace/tickets/{number}").get_data(as_text=True)
    assert _nav(ticket)["Queues"] and not _nav(ticket)["Tasks"]
    crumbs = ticket.split('class="breadcrumbs"', 1)[1].split("</nav>", 1)[0]
    assert '<a href="/workspace">Queues</a>' in crumbs and "Tasks" not in crumbs
    tasks = _nav(client.get("/workspace/tasks").get_data(as_text=True))
    assert tasks["Tasks"] and not tasks["Queues"]
    assert _nav(client.get("/portal").get_data(as_text=True))["Portal"]


def test_admin_and_requester_navigation(client, world, login):
    """Admins also get the builder, incidents and audit; requesters only the portal's links."""
    login(world.admin)
    assert list(_nav(client.get("/workspace").get_data(as_text=True))) == [
        "Queues", "Tasks", "Knowledge base", "Forms", "Flows", "Incidents", "Audit", "Portal"]
    client.post("/logout", data={"csrf_token": csrf_token(client, "/portal")})
    login(world.requester)
    assert _nav(client.get("/portal/tickets").get_data(as_text=True)) == {
        "New request": False, "My tickets": True, "Help articles": False}


def test_workspace_lists_my_tasks_with_actions(client, world, login):
    """My approval shows its ticket, what is asked, the due time and the inline actions."""
    number = world.submit()
    task = world.open_task(number)
    login(world.approver)
    page = client.get("/workspace/tasks")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"#{number}" in html and "Printer on fire" in html
    assert "Approval: Manager approves" in html and "Due " in html
    assert f'action="/workspace/tasks/{task.id}/decision"' in html
    assert 'value="approve"' in html and 'value="reject"' in html
    assert f'formaction="/workspace/tasks/{task.id}/transfer"' in html
    assert '<datalist id="staff-emails">' in html and 'value="colleague@example.com"' in html
    assert 'value="req@example.com"' not in html  # requesters never hold tasks
    assert 'href="/workspace/tasks"' in html  # the nav link for staff


def test_workspace_team_tab_shows_teammates_tasks_without_actions(client, world, login):
    """A teammate sees the approval under My teams, held by the approver, with no buttons."""
    world.submit()
    login(world.colleague)
    assert "Nothing is waiting for you." in client.get("/workspace/tasks").get_data(
        as_text=True)
    html = client.get("/workspace/tasks?scope=team").get_data(as_text=True)
    assert "Printer on fire" in html and "Held by approver" in html
    assert 'value="approve"' not in html


def test_workspace_overdue_task_is_highlighted(client, world, login, session):
    """A task past its due time carries the overdue mark."""
    task = world.open_task(world.submit())
    task.due_at = task.created_at.replace(year=2000)
    session.commit()
    login(world.approver)
    html = client.get("/workspace/tasks").get_data(as_text=True)
    assert "task-overdue" in html and "Overdue" in html


def test_workspace_approve_with_comment_flashes_and_moves_on(client, world, login, session):
    """Approve posts redirect back with a success flash; the user task then opens."""
    number = world.submit()
    task = world.open_task(number)
    login(world.approver)
    response = _post(client, f"/workspace/tasks/{task.id}/decision",
                     {"decision": "approve", "comment": "OK", "next": "/workspace/tasks"})
    assert response.status_code == 303 and response.headers["Location"] == "/workspace/tasks"
    html = client.get("/workspace/tasks").get_data(as_text=True)
    assert _flashes(html) == [f"Ticket #{number}: Approved."]
    session.expire_all()
    done = session.get(Task, task.id)
    assert done.status == TaskStatus.DONE and done.comment == "OK"
    assert world.open_task(number, "user_task").assignee_id == world.worker.id


def test_workspace_complete_user_task_resolves_the_ticket(client, world, login, session):
    """The worker completes the user task from the list; the ticket is resolved."""
    number = world.submit()
    approval = world.open_task(number)
    login(world.approver)
    _post(client, f"/workspace/tasks/{approval.id}/decision", {"decision": "approve"})
    client.post("/logout", data={"csrf_token": csrf_token(client, "/workspace/tasks")})
    login(world.worker)
    work = world.open_task(number, "user_task")
    html = client.get("/workspace/tasks").get_data(as_text=True)
    assert "Call the customer" in html and 'value="complete"' in html
    _post(client, f"/workspace/tasks/{work.id}/decision", {"decision": "complete"})
    assert "Marked as done." in client.get("/workspace/tasks").get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(Ticket.status).where(Ticket.number == number)) \
        == Status.RESOLVED


def test_workspace_errors_are_flashed(client, world, login):
    """Deciding twice, a wrong decision and an unknown colleague come back as error flashes."""
    task = world.open_task(world.submit())
    login(world.approver)
    _post(client, f"/workspace/tasks/{task.id}/decision", {"decision": "complete"})
    assert _flashes(client.get("/workspace/tasks").get_data(as_text=True)) == [
        "Choose one of the offered options."]
    _post(client, f"/workspace/tasks/{task.id}/transfer", {"to": "nobody@example.com"})
    assert _flashes(client.get("/workspace/tasks").get_data(as_text=True)) == [
        "No such user."]
    _post(client, f"/workspace/tasks/{task.id}/decision", {"decision": "reject"})
    _post(client, f"/workspace/tasks/{task.id}/decision", {"decision": "approve"})
    assert _flashes(client.get("/workspace/tasks").get_data(as_text=True)) == [
        "This task was already decided or closed."]


def test_workspace_not_the_holder_is_told_so(client, world, login, session):
    """Someone else's task cannot be decided from a crafted form."""
    task = world.open_task(world.submit())
    login(world.worker)
    _post(client, f"/workspace/tasks/{task.id}/decision", {"decision": "approve"})
    assert _flashes(client.get("/workspace/tasks").get_data(as_text=True)) == [
        "Only the person holding this task may act on it."]
    session.expire_all()
    assert session.get(Task, task.id).status == TaskStatus.OPEN


def test_workspace_delegate_and_transfer(client, world, login, session):
    """Delegate flashes and moves the task; the next page says whose answer it awaits."""
    task = world.open_task(world.submit())
    login(world.approver)
    _post(client, f"/workspace/tasks/{task.id}/delegate",
          {"to": "colleague@example.com", "comment": "Thoughts?"})
    html = client.get("/workspace/tasks").get_data(as_text=True)
    assert "delegated to colleague@example.com" in html
    session.expire_all()
    held = session.get(Task, task.id)
    assert held.assignee_id == world.colleague.id and held.delegated_by_id == world.approver.id
    client.post("/logout", data={"csrf_token": csrf_token(client, "/workspace/tasks")})
    login(world.colleague)
    html = client.get("/workspace/tasks").get_data(as_text=True)
    assert "Delegated by approver: your answer goes back to them." in html
    _post(client, f"/workspace/tasks/{task.id}/transfer", {"to": "worker@example.com"})
    assert "transferred to worker@example.com" in client.get("/workspace/tasks").get_data(
        as_text=True)
    session.expire_all()
    assert session.get(Task, task.id).assignee_id == world.worker.id


def test_workspace_posts_need_csrf(client, world, login, session):
    """A decision without the CSRF token is refused and changes nothing."""
    task = world.open_task(world.submit())
    login(world.approver)
    response = client.post(f"/workspace/tasks/{task.id}/decision", data={"decision": "approve"})
    assert response.status_code == 400
    session.expire_all()
    assert session.get(Task, task.id).status == TaskStatus.OPEN


def test_workspace_next_must_stay_on_site(client, world, login):
    """An outside ``next`` is ignored: the redirect goes to my tasks."""
    task = world.open_task(world.submit())
    login(world.approver)
    response = _post(client, f"/workspace/tasks/{task.id}/decision",
                     {"decision": "approve", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/workspace/tasks"


def test_workspace_is_for_staff(client, world, login):
    """Strangers are sent to the login; requesters get 403 and no Tasks link."""
    number = world.submit()
    for path in ("/workspace/tasks", f"/workspace/tickets/{number}", "/admin/incidents"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    login(world.requester)
    assert client.get("/workspace/tasks").status_code == 403
    assert client.get(f"/workspace/tickets/{number}").status_code == 403
    assert client.get("/admin/incidents").status_code == 403
    task = world.open_task(number)
    token = csrf_token(client, "/portal")
    assert client.post(f"/workspace/tasks/{task.id}/decision", data={
        "decision": "approve", "csrf_token": token}).status_code == 403
    assert 'href="/workspace/tasks"' not in client.get("/portal").get_data(as_text=True)


def test_workspace_ticket_page_shows_data_tasks_and_timeline(client, world, login):
    """The staff ticket page shows labelled data, the tasks and a readable timeline."""
    number = world.submit()
    task = world.open_task(number)
    login(world.approver)
    back = f"/workspace/tickets/{number}"
    _post(client, f"/workspace/tasks/{task.id}/decision",
          {"decision": "approve", "comment": "Go ahead", "next": back}, page=back)
    response = client.get(back)
    assert response.status_code == 200
    html = html_lib.unescape(response.get_data(as_text=True))
    assert "Summary" in html and "Printer on fire" in html  # label and value
    assert "Category" in html and "Question" in html  # the option's label, not its value
    assert "Approval: Manager approves" in html and "Call the customer" in html
    assert "req submitted the request" in html
    assert "Approval “Manager approves” requested from approver@example.com" in html
    assert "approver approved “Manager approves”" in html and "Go ahead" in html
    assert "Vote on “Manager approves”: approver@example.com chose approve" in html
    assert "“Manager approves” was approved" in html
    assert "Task “Call the customer” given to worker@example.com" in html
    assert _flashes(html) == [f"Ticket #{number}: Approved."]


def test_workspace_ticket_page_in_chinese(client, world, login):
    """The ticket page and its timeline follow the language."""
    number = world.submit()
    login(world.approver)
    html = client.get(f"/workspace/tickets/{number}?lang=zh-CN").get_data(as_text=True)
    assert 'lang="zh-CN"' in html and "时间线" in html
    assert "审批：经理审批" in html
    assert "审批“经理审批”已发给 approver@example.com" in html


def test_workspace_ticket_unknown_is_404(client, world, login):
    """An unknown ticket number is a 404 page."""
    login(world.approver)
    assert client.get("/workspace/tickets/424242").status_code == 404


def test_workspace_escapes_hostile_text(client, world, login, session):
    """Subjects, comments and task titles from users and designers are escaped everywhere."""
    number = world.submit(HOSTILE)
    task = world.open_task(number)
    task.title = {"en": HOSTILE}
    session.commit()
    login(world.approver)
    listing = client.get("/workspace/tasks").get_data(as_text=True)
    back = f"/workspace/tickets/{number}"
    _post(client, f"/workspace/tasks/{task.id}/decision",
          {"decision": "reject", "comment": HOSTILE, "next": back}, page=back)
    ticket = client.get(back).get_data(as_text=True)
    for html in (listing, ticket):
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(" in html


def test_admin_incidents_page_and_retry(client, world, login, session):
    """Admins see open incidents with the error and a ticket link, and retry one."""
    number = world.submit()
    incident = _incident(session, number, error=f"HTTP 502: {HOSTILE}")
    login(world.admin)
    html = client.get("/admin/incidents").get_data(as_text=True)
    assert f'href="/workspace/tickets/{number}"' in html and "HTTP 502" in html
    assert "<script>alert" not in html
    assert f'action="/admin/incidents/{incident.id}/retry"' in html
    response = _post(client, f"/admin/incidents/{incident.id}/retry", {}, page="/admin/incidents")
    assert response.status_code == 303
    after = client.get("/admin/incidents").get_data(as_text=True)
    assert f"Incident {incident.id}: the delivery will be tried again." in html_lib.unescape(
        after)
    assert "No open incidents." in after
    session.expire_all()
    assert session.get(OutboxMessage, incident.outbox_id).status in (
        OutboxStatus.PENDING, OutboxStatus.ENQUEUED)


def test_admin_incidents_not_for_agents(client, world, login, session):
    """Agents may not see or retry incidents."""
    incident = _incident(session, world.submit())
    login(world.approver)
    assert client.get("/admin/incidents").status_code == 403
    assert client.post(f"/admin/incidents/{incident.id}/retry", data={
        "csrf_token": csrf_token(client, "/workspace/tasks")}).status_code == 403
