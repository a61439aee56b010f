#!/bin/sh
# Entrypoint of the `alertmanager` service (docker-compose.yml): renders alertmanager.yml with the
# settings of .env, then runs Alertmanager on the rendered copy. POSIX sh: the image's shell is
# busybox (no bash, no envsubst); tested with dash (config/test/alertmanager_entrypoint.test.ts).
#
#   entrypoint.sh --config.file=/etc/alertmanager/alertmanager.yml [other alertmanager flags]
#
# The committed file (--config.file, read-only) is copied line by line to
# $WHODUNIT_ALERTMANAGER_RUN_DIR/alertmanager.yml (default /run/alertmanager, a tmpfs in compose)
# and --config.file is changed to that copy. In the copy, when the variable is set and not empty:
#   SMTP_SMARTHOST, SMTP_FROM, SMTP_USERNAME  replace global.smtp_smarthost, smtp_from,
#                                             smtp_auth_username
#   SMTP_TO                                   replaces every `to:` (the e-mail receivers)
#   SMTP_PASSWORD                             is written to secrets/smtp-password, which
#                                             smtp_auth_password_file then names
#   DISCORD_WEBHOOK_URL_<CHANNEL>, else       is written to secrets/discord-<channel>.url, which
#   DISCORD_WEBHOOK_URL                       that channel's webhook_url_file then names
#                                             (?wait=true added when the URL has no `wait`)
# Unset or empty: the committed line stays as it is (the hand-written file of secrets/).
# Values go into YAML single-quoted, secrets into files of mode 600; nothing here prints a value.
set -eu

run_dir=${WHODUNIT_ALERTMANAGER_RUN_DIR:-/run/alertmanager}
binary=${WHODUNIT_ALERTMANAGER_BINARY:-/bin/alertmanager}
umask 077

fail() {
  printf 'alertmanager entrypoint: %s\n' "$1" >&2
  exit 1
}

# Reads the variable named $1 (checked to be a plain name first) into $value.
read_var() {
  case $1 in *[!A-Za-z0-9_]* | '') fail "not a variable name: $1" ;; esac
  eval "value=\${$1:-}"
  case $value in *"$newline"* | *"$cr"*) fail "$1 holds a line break; refusing to start" ;; esac
}
newline='
'
cr=$(printf '\r')

# $1 as a YAML single-quoted scalar: quotes doubled, nothing else is special inside.
yaml_quote() {
  quoted=
  rest=$1
  while :; do
    case $rest in
      *\'*)
        quoted="$quoted${rest%%\'*}''"
        rest=${rest#*\'}
        ;;
      *)
        quoted="$quoted$rest"
        break
        ;;
    esac
  done
  printf "'%s'" "$quoted"
}

# Writes $2 to the secret file $1 (mode 600 through umask; no trailing newline).
write_secret() {
  rm -f "$1"
  printf '%s' "$2" >"$1"
  chmod 600 "$1"
}

# --config.file (either spelling) names the committed file; the rest is passed on unchanged.
source_file=/etc/alertmanager/alertmanager.yml
rendered=$run_dir/alertmanager.yml
count=$#
expect_path=false
while [ "$count" -gt 0 ]; do
  arg=$1
  shift
  count=$((count - 1))
  if $expect_path; then
    source_file=$arg
    expect_path=false
    continue
  fi
  case $arg in
    --config.file=* | -config.file=*) source_file=${arg#*=} ;;
    --config.file | -config.file) expect_path=true ;;
    *) set -- "$@" "$arg" ;;
  esac
done
$expect_path && fail '--config.file needs a path'
[ -r "$source_file" ] || fail "cannot read $source_file"
source_dir=$(dirname "$source_file")

secrets=$run_dir/secrets
mkdir -p "$run_dir"
rm -rf "$secrets"
mkdir -m 700 "$secrets"
# Relative paths of the config (templates/*.tmpl) resolve from the rendered copy's directory.
[ -e "$source_dir/templates" ] && ln -sfn "$source_dir/templates" "$run_dir/templates"

# Prints the line with its value replaced: $1 the line, $2 the key, $3 the new value (quoted).
replace_value() {
  printf '%s %s\n' "${1%%"$2":*}$2:" "$3"
}

render_line() {
  line=$1
  content=${line#"${line%%[! ]*}"}
  content=${content#- }
  key=${content%%:*}
  case $key in
    smtp_smarthost) read_var SMTP_SMARTHOST ;;
    smtp_from) read_var SMTP_FROM ;;
    smtp_auth_username) read_var SMTP_USERNAME ;;
    to) read_var SMTP_TO ;;
    smtp_auth_password_file)
      read_var SMTP_PASSWORD
      if [ -n "$value" ]; then
        write_secret "$secrets/smtp-password" "$value"
        replace_value "$line" "$key" "$(yaml_quote "$secrets/smtp-password")"
        return
      fi
      ;;
    webhook_url_file)
      file=${content#*:}
      file=${file# }
      name=${file##*/}
      case $name in
        discord-*.url)
          channel=${name#discord-}
          channel=${channel%.url}
          read_var "DISCORD_WEBHOOK_URL_$(printf '%s' "$channel" | tr 'a-z-' 'A-Z_')"
          [ -n "$value" ] || read_var DISCORD_WEBHOOK_URL
          if [ -n "$value" ]; then
            # Discord answers ?wait=true posts with the message or an error, not a silent 204.
            case $value in
              *\?wait=* | *\&wait=*) ;;
              *\?*) value="$value&wait=true" ;;
              *) value="$value?wait=true" ;;
            esac
            write_secret "$secrets/$name" "$value"
            replace_value "$line" "$key" "$(yaml_quote "$secrets/$name")"
            return
          fi
          ;;
      esac
      printf '%s\n' "$line"
      return
      ;;
    *)
      printf '%s\n' "$line"
      return
      ;;
  esac
  if [ -n "$value" ]; then
    replace_value "$line" "$key" "$(yaml_quote "$value")"
  else
    printf '%s\n' "$line"
  fi
}

partial=$rendered.partial
rm -f "$partial"
while IFS= read -r line || [ -n "$line" ]; do
  render_line "$line"
done <"$source_file" >"$partial"
chmod 600 "$partial"
mv -f "$partial" "$rendered"

exec "$binary" "--config.file=$rendered" "$@"
