def test_login_page_renders(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert b'name="username"' in response.data and b'name="password"' in response.data


def test_staff_logs_in_and_sees_home(login_as, company):
    c = login_as("staff")
    page = c.get("/").get_data(as_text=True)
    assert "Liu Yang" in page and "Engineering" in page and "2027 H1" in page
