/*
 * test_clientconf — the console configuration file parser.
 */
#include <string.h>

#include "clientconf.h"
#include "err.h"
#include "testlib.h"

static void
test_parses_keys_comments_blank_lines(void **state)
{
	(void)state;
	struct clientconf c;
	char msg[256];
	memset(&c, 0, sizeof(c));
	assert_int_equal(clientconf_parse("t", "# comment\n\nserver = tls+tcp://h:1\n  ca=ca.pem  \n"
	                                       "cert = a b.crt\nkey = k\ntimeout = 5\n",
	                                  &c, msg, sizeof(msg)),
	                 0);
	assert_string_equal(c.server, "tls+tcp://h:1");
	assert_string_equal(c.ca, "ca.pem");
	assert_string_equal(c.cert, "a b.crt");
	assert_string_equal(c.key, "k");
	assert_string_equal(c.timeout, "5");
}

static void
test_errors_name_the_line(void **state)
{
	(void)state;
	struct clientconf c;
	char msg[256];
	memset(&c, 0, sizeof(c));
	assert_int_equal(clientconf_parse("f.conf", "server = x\n\nnonsense\n", &c, msg, sizeof(msg)),
	                 RW_EINVAL);
	assert_string_equal(msg, "f.conf:3: expected key = value");
	assert_int_equal(clientconf_parse("f.conf", "colour = blue\n", &c, msg, sizeof(msg)),
	                 RW_EINVAL);
	assert_non_null(strstr(msg, "f.conf:1: unknown key"));
}

static void
test_overlong_value_refused(void **state)
{
	(void)state;
	static char text[CLIENTCONF_VALUE_MAX + 64];
	struct clientconf c;
	char msg[256];
	memset(&c, 0, sizeof(c));
	strcpy(text, "ca = ");
	memset(text + 5, 'x', CLIENTCONF_VALUE_MAX + 1);
	assert_int_equal(clientconf_parse("f", text, &c, msg, sizeof(msg)), RW_EINVAL);
	assert_non_null(strstr(msg, "too long"));
}

static void
test_missing_file(void **state)
{
	(void)state;
	struct clientconf c;
	char msg[256];
	assert_int_equal(clientconf_load("/nonexistent/rewind.conf", &c, msg, sizeof(msg)),
	                 RW_ENOTFOUND);
}

TL_MAIN("tests", NULL, NULL,
	test_parses_keys_comments_blank_lines, test_errors_name_the_line,
	test_overlong_value_refused, test_missing_file)
