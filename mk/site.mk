# Course site and Colab solution notebooks (autograder/site.py, autograder/colab.py).
.PHONY: site colab publish browser-deps

site: $(STAMP)  ## build the course site offline into course_site/_build/html (SITE_SHOW_SOLUTIONS=1 to include solutions)
	$(PY) -m autograder.cli site $(SITE_ARGS)

colab: $(STAMP)  ## Colab-ready solution notebooks into out/colab/ for a look (COLAB_ARGS=--execute runs them under the ci profile); `make publish` puts them where the badges point
	$(PY) -m autograder.cli colab $(COLAB_ARGS)

publish: $(STAMP)  ## the public student repository tree into out/publish/ (arkit, assignments, Colab solutions after their date); prints the git steps
	$(PY) -m autograder.cli publish $(PUBLISH_ARGS)

# Debian's chromium for tests/course_site/test_browser.py. Installs only as root
# (CI); anywhere else, or if apt fails, the browser test skips with a message.
browser-deps:  ## install chromium for the browser test (root only; failures tolerated)
	@if [ "$$(id -u)" = 0 ] && ! command -v chromium >/dev/null; then \
	  echo ">> installing chromium for the browser test"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	    || echo ">> chromium install failed; tests/course_site/test_browser.py will skip"; \
	fi

# the whole test suite includes the browser test
test: browser-deps
