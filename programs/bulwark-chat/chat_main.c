/* bulwark-chat: the relay, or one client command. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "chat.h"

static void usage(FILE *f)
{
    fputs(
        "Usage: bulwark-chat relay --listen HOST:PORT --data DIR\n"
        "       bulwark-chat --relay URL --user NAME [OPTIONS] COMMAND\n"
        "\n"
        "Commands:\n"
        "  register [--child]       make keys, register NAME with the relay; --child marks\n"
        "                           the account as a child's (nudity warnings on)\n"
        "  send PEER FILE|TEXT      check a file, encrypt, send (exit 3: a match, not sent;\n"
        "                           exit 4: a child account must --confirm)\n"
        "  recv [--out DIR]         fetch, decrypt, check files (exit 3: a match was withheld)\n"
        "  report-self FILE         file only the hashes of your own image with the server;\n"
        "                           prints a case id and a withdrawal token\n"
        "  withdraw-report CASE [TOKEN]\n"
        "                           withdraw a self-report (the token is kept from report-self)\n"
        "\n"
        "Options:\n"
        "  --snapshot FILE          a signed bank snapshot to check against on this device;\n"
        "                           repeat for deltas, in order\n"
        "  --snapshot-pubkey HEX    the platform key that signs snapshots\n"
        "  --server URL --key KEY   bulwarkd: remote PDQ check, private exact match (with a\n"
        "                           snapshot holding PSM tokens) and self-reports\n"
        "  --threshold N            PDQ distance that matches (default 31)\n"
        "  --nudity-model FILE      the nudity classifier's model, needed by child accounts\n"
        "                           (default $BULWARK_CHAT_NUDITY_MODEL)\n"
        "  --nudity-threshold F     nudity score that warns a child account (default 0.7)\n"
        "  --confirm                a child account confirms: send a picture that may show\n"
        "                           nudity (else exit 4, not sent); on recv keep originals\n"
        "                           of such pictures (else only a blurred copy is written)\n"
        "  --home DIR               where keys and files live (default $BULWARK_CHAT_HOME,\n"
        "                           else ~/.local/share/bulwark-chat)\n",
        f);
}

int main(int argc, char **argv)
{
    enum { OPT_RELAY = 256, OPT_USER, OPT_HOME, OPT_SNAPSHOT, OPT_PUBKEY, OPT_SERVER, OPT_KEY,
           OPT_OUT, OPT_THRESHOLD, OPT_LISTEN, OPT_DATA, OPT_CHILD, OPT_CONFIRM,
           OPT_NUDITY_MODEL, OPT_NUDITY_THRESHOLD };
    static const struct option longopts[] = {
        {"relay", required_argument, NULL, OPT_RELAY},
        {"user", required_argument, NULL, OPT_USER},
        {"home", required_argument, NULL, OPT_HOME},
        {"snapshot", required_argument, NULL, OPT_SNAPSHOT},
        {"snapshot-pubkey", required_argument, NULL, OPT_PUBKEY},
        {"server", required_argument, NULL, OPT_SERVER},
        {"key", required_argument, NULL, OPT_KEY},
        {"out", required_argument, NULL, OPT_OUT},
        {"threshold", required_argument, NULL, OPT_THRESHOLD},
        {"listen", required_argument, NULL, OPT_LISTEN},
        {"data", required_argument, NULL, OPT_DATA},
        {"child", no_argument, NULL, OPT_CHILD},
        {"confirm", no_argument, NULL, OPT_CONFIRM},
        {"nudity-model", required_argument, NULL, OPT_NUDITY_MODEL},
        {"nudity-threshold", required_argument, NULL, OPT_NUDITY_THRESHOLD},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    chat_opts o = {.threshold = 31, .nudity_threshold = bw_device_nudity_default_threshold()};
    char *end;
    const char *listen = NULL, *data = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_RELAY: o.relay = optarg; break;
        case OPT_USER: o.user = optarg; break;
        case OPT_HOME: o.home = optarg; break;
        case OPT_PUBKEY: o.snapshot_pubkey = optarg; break;
        case OPT_SERVER: o.server = optarg; break;
        case OPT_KEY: o.key = optarg; break;
        case OPT_OUT: o.out = optarg; break;
        case OPT_LISTEN: listen = optarg; break;
        case OPT_DATA: data = optarg; break;
        case OPT_CHILD: o.child = true; break;
        case OPT_CONFIRM: o.confirm = true; break;
        case OPT_NUDITY_MODEL: o.nudity_model = optarg; break;
        case OPT_NUDITY_THRESHOLD:
            o.nudity_threshold = strtof(optarg, &end);
            if (*end || end == optarg || !(o.nudity_threshold >= 0 && o.nudity_threshold <= 1)) {
                chat_error("--nudity-threshold must be a number from 0 to 1");
                return CHAT_EXIT_USAGE;
            }
            break;
        case OPT_SNAPSHOT:
            if (o.snapshot_count == (int)(sizeof o.snapshots / sizeof o.snapshots[0])) {
                chat_error("too many --snapshot files");
                return CHAT_EXIT_USAGE;
            }
            o.snapshots[o.snapshot_count++] = optarg;
            break;
        case OPT_THRESHOLD:
            o.threshold = atoi(optarg);
            if (o.threshold < 0 || o.threshold > 64) {
                chat_error("--threshold must be 0..64");
                return CHAT_EXIT_USAGE;
            }
            break;
        case 'h': usage(stdout); return CHAT_EXIT_OK;
        default: usage(stderr); return CHAT_EXIT_USAGE;
        }
    }
    char **args = argv + optind;
    const int nargs = argc - optind;
    if (nargs < 1) {
        usage(stderr);
        return CHAT_EXIT_USAGE;
    }
    if (sodium_init() < 0) {
        chat_error("libsodium cannot initialise");
        return CHAT_EXIT_FAILED;
    }
    const char *cmd = args[0];
    if (!strcmp(cmd, "relay"))
        return chat_relay_main(listen, data);
    if (!o.relay || !chat_valid_name(o.user)) {
        chat_error("%s needs --relay URL and --user NAME (1-32 of a-z0-9_.-)", cmd);
        return CHAT_EXIT_USAGE;
    }
    if ((o.server != NULL) != (o.key != NULL)) {
        chat_error("--server and --key go together");
        return CHAT_EXIT_USAGE;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = CHAT_EXIT_USAGE;
    if (!strcmp(cmd, "register") && nargs == 1)
        rc = chat_register(&o);
    else if (!strcmp(cmd, "send") && nargs == 3)
        rc = chat_send(&o, args[1], args[2]);
    else if (!strcmp(cmd, "recv") && nargs == 1)
        rc = chat_recv(&o);
    else if (!strcmp(cmd, "report-self") && nargs == 2)
        rc = chat_report_self(&o, args[1]);
    else if (!strcmp(cmd, "withdraw-report") && (nargs == 2 || nargs == 3))
        rc = chat_withdraw_report(&o, args[1], nargs == 3 ? args[2] : NULL);
    else
        usage(stderr);
    curl_global_cleanup();
    return rc;
}
