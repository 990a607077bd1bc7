# Tables, results.csv and the chart of scripts/bench.sh (sourced, not run).
#   report_rounds SECTION BASELINE [BASELINE...]  table of one section's rows of rounds.csv: per config
#                                                and server, medians over rounds with min-max, CPU per
#                                                operation, ratios to each baseline server
#   result NAME... (via report_rounds, report_memory, ...) rows of $BENCH_OUT/results.csv, long form:
#     section,config,server,metric,median,min,max,unit,vs,ratio
#   report_chart                                 $BENCH_OUT/bench.svg: CPU per operation / baseline

RESULTS_HEADER=section,config,server,metric,median,min,max,unit,vs,ratio

results_init() {
  [[ -s $BENCH_OUT/results.csv ]] || echo "$RESULTS_HEADER" >"$BENCH_OUT/results.csv"
}

# Common awk functions: median/min/max of v[k, 1..m].
AWK_STATS='
function med(v, k, m,    i, j, t, a) {
  for (i = 1; i <= m; i++) a[i] = v[k, i] + 0
  for (i = 2; i <= m; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
  return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
}
function lo(v, k, m,    i, r) { r = v[k, 1] + 0; for (i = 2; i <= m; i++) if (v[k, i] + 0 < r) r = v[k, i] + 0; return r }
function hi(v, k, m,    i, r) { r = v[k, 1] + 0; for (i = 2; i <= m; i++) if (v[k, i] + 0 > r) r = v[k, i] + 0; return r }
'

report_rounds() {
  local section=$1
  shift
  results_init
  awk -F, -v section="$section" -v baselines="$*" -v tck="$CLK_TCK" -v csv="$BENCH_OUT/results.csv" "$AWK_STATS"'
  $1 != section || $5 + 0 <= 0 { next }
  {
    k = $2 SUBSEP $3
    if (!(k in n)) {
      if (!($2 in cseen)) { cseen[$2] = 1; configs[++nc] = $2 }
      if (!($3 in sseen)) { sseen[$3] = 1; servers[++ns] = $3 }
    }
    i = ++n[k]
    tput[k, i] = $5 / $6
    lat = ($7 != ""); p50[k, i] = $7; p99[k, i] = $8
    cpu[k, i] = $9 * 1e6 / tck / $5
    usr[k, i] = $10 * 1e6 / tck / $5
    err[k] += $11
    if ($12 != "" && $13 != "") { ni[k]++; uin[k, ni[k]] = $12 / $5; kin[k, ni[k]] = $13 / $5 }
    if ($14 != "" && $15 != "") { ny[k]++; ucy[k, ny[k]] = $14 / $5; kcy[k, ny[k]] = $15 / $5; tcy[k, ny[k]] = ($14 + $15) / $5 }
    haslat[k] = haslat[k] || lat
  }
  function ratio(a, b) { return b > 0 ? sprintf("%.2f", a / b) : "-" }
  function row(metric, value, mn, mx, unit, vs, r) {
    printf "%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", section, C, S, metric, value, mn, mx, unit, vs, r >> csv
  }
  END {
    nb = split(baselines, base, " ")
    for (c = 1; c <= nc; c++) for (s = 1; s <= ns; s++) {
      k = configs[c] SUBSEP servers[s]
      if (!(k in n)) continue
      mcpu[k] = med(cpu, k, n[k]); musr[k] = med(usr, k, n[k])
      if (ni[k] > 0) { muin[k] = med(uin, k, ni[k]); mkin[k] = med(kin, k, ni[k]) }
      if (ny[k] > 0) { mucy[k] = med(ucy, k, ny[k]); mkcy[k] = med(kcy, k, ny[k]); mtcy[k] = med(tcy, k, ny[k]) }
    }
    hdr = sprintf("%-24s %-16s %-32s %9s %9s %10s %10s %10s %10s", "config", "server", "ops/s median (min-max)", "p50 us", "p99 us", "CPU us/op", "user us/op", "u-inst/op", "k-inst/op")
    for (b = 1; b <= nb; b++) hdr = hdr sprintf(" %8s %8s %8s %8s %8s", "CPU", "user", "u-inst", "u-cyc", "cyc") " x " base[b]
    print hdr
    for (c = 1; c <= nc; c++) {
      for (s = 1; s <= ns; s++) {
        k = configs[c] SUBSEP servers[s]
        if (!(k in n)) continue
        C = configs[c]; S = servers[s]; m = n[k]
        t = sprintf("%.0f (%.0f-%.0f)", med(tput, k, m), lo(tput, k, m), hi(tput, k, m))
        l50 = haslat[k] ? sprintf("%.1f", med(p50, k, m)) : "-"
        l99 = haslat[k] ? sprintf("%.1f", med(p99, k, m)) : "-"
        line = sprintf("%-24s %-16s %-32s %9s %9s %10.3f %10.3f %10s %10s", C, S, t, l50, l99, mcpu[k], musr[k],
          ni[k] ? sprintf("%.0f", muin[k]) : "-", ni[k] ? sprintf("%.0f", mkin[k]) : "-")
        row("ops_per_s", sprintf("%.0f", med(tput, k, m)), sprintf("%.0f", lo(tput, k, m)), sprintf("%.0f", hi(tput, k, m)), "1/s", "", "")
        if (haslat[k]) {
          row("p50", l50, sprintf("%.1f", lo(p50, k, m)), sprintf("%.1f", hi(p50, k, m)), "us", "", "")
          row("p99", l99, sprintf("%.1f", lo(p99, k, m)), sprintf("%.1f", hi(p99, k, m)), "us", "", "")
        }
        for (b = 1; b <= nb; b++) {
          kb = configs[c] SUBSEP base[b]
          rc = (kb in n) ? ratio(mcpu[k], mcpu[kb]) : "-"
          ru = (kb in n) ? ratio(musr[k], musr[kb]) : "-"
          ri = (kb in n) && ni[k] && ni[kb] ? ratio(muin[k], muin[kb]) : "-"
          ry = (kb in n) && ny[k] && ny[kb] ? ratio(mucy[k], mucy[kb]) : "-"
          rt = (kb in n) && ny[k] && ny[kb] ? ratio(mtcy[k], mtcy[kb]) : "-"
          line = line sprintf(" %8s %8s %8s %8s %8s", rc, ru, ri, ry, rt) (b < nb ? sprintf("%" (3 + length(base[b])) "s", "") : "")
          row("cpu_per_op", sprintf("%.4f", mcpu[k]), sprintf("%.4f", lo(cpu, k, m)), sprintf("%.4f", hi(cpu, k, m)), "us", base[b], rc)
          row("user_cpu_per_op", sprintf("%.4f", musr[k]), sprintf("%.4f", lo(usr, k, m)), sprintf("%.4f", hi(usr, k, m)), "us", base[b], ru)
          if (ni[k]) {
            row("user_instructions_per_op", sprintf("%.0f", muin[k]), sprintf("%.0f", lo(uin, k, ni[k])), sprintf("%.0f", hi(uin, k, ni[k])), "instructions", base[b], ri)
            rk = (kb in n) && ni[kb] ? ratio(mkin[k], mkin[kb]) : "-"
            row("kernel_instructions_per_op", sprintf("%.0f", mkin[k]), sprintf("%.0f", lo(kin, k, ni[k])), sprintf("%.0f", hi(kin, k, ni[k])), "instructions", base[b], rk)
          }
          if (ny[k]) {
            row("user_cycles_per_op", sprintf("%.0f", mucy[k]), sprintf("%.0f", lo(ucy, k, ny[k])), sprintf("%.0f", hi(ucy, k, ny[k])), "cycles", base[b], ry)
            rkc = (kb in n) && ny[kb] ? ratio(mkcy[k], mkcy[kb]) : "-"
            row("kernel_cycles_per_op", sprintf("%.0f", mkcy[k]), sprintf("%.0f", lo(kcy, k, ny[k])), sprintf("%.0f", hi(kcy, k, ny[k])), "cycles", base[b], rkc)
            row("cycles_per_op", sprintf("%.0f", mtcy[k]), sprintf("%.0f", lo(tcy, k, ny[k])), sprintf("%.0f", hi(tcy, k, ny[k])), "cycles", base[b], rt)
          }
        }
        if (nb == 0) {
          row("cpu_per_op", sprintf("%.4f", mcpu[k]), sprintf("%.4f", lo(cpu, k, m)), sprintf("%.4f", hi(cpu, k, m)), "us", "", "")
          row("user_cpu_per_op", sprintf("%.4f", musr[k]), sprintf("%.4f", lo(usr, k, m)), sprintf("%.4f", hi(usr, k, m)), "us", "", "")
        }
        if (err[k] > 0) line = line sprintf("  (%d errors)", err[k])
        print line
      }
    }
  }' "$BENCH_OUT/rounds.csv"
}

# report_chart: a clustered bar chart of every cpu_per_op ratio in results.csv, one cluster per
# section/config, one bar per server, a dashed line at 1.0 (the baseline).
report_chart() {
  [[ -s $BENCH_OUT/results.csv ]] || return 0
  local data=$BENCH_OUT/chart.tsv
  awk -F, 'NR > 1 && $4 == "cpu_per_op" && $10 != "" && $10 != "-" && !(($1 SUBSEP $2) in first) {
      # the first baseline named for a config is the one charted
      first[$1 SUBSEP $2] = $9
    }
    NR > 1 && $4 == "cpu_per_op" && $10 != "" && $10 != "-" && $9 == first[$1 SUBSEP $2] && $3 != $9 {
      x = $1 ": " $2 " (vs " $9 ")"
      srv = $3; sub(/-tls$/, "", srv) # one colour for usockets4j, TLS or not
      if (!(x in xs)) { xs[x] = 1; xo[++nx] = x }
      if (!(srv in ss)) { ss[srv] = 1; so[++ns] = srv }
      v[x, srv] = $10
    }
    END {
      if (nx == 0) exit
      h = "config"; for (s = 1; s <= ns; s++) h = h "\t" so[s]; print h
      for (i = 1; i <= nx; i++) {
        l = xo[i]; for (s = 1; s <= ns; s++) l = l "\t" ((xo[i], so[s]) in v ? v[xo[i], so[s]] : "-"); print l
      }
    }' "$BENCH_OUT/results.csv" >"$data"
  [[ -s $data ]] || { rm -f "$data"; return 0; }
  if ! command -v gnuplot >/dev/null 2>&1; then
    log "gnuplot missing: no chart (data in $data)"
    return 0
  fi
  local ncol
  ncol=$(head -n 1 "$data" | awk -F'\t' '{print NF}')
  chart_script "set terminal svg size 1100,600 dynamic font 'sans,11'" "$BENCH_OUT/bench.svg" "$data" "$ncol" | gnuplot
  log "chart: $BENCH_OUT/bench.svg"
}

# chart_script TERMINAL OUTPUT DATA NCOL: the gnuplot program of the chart (log scale: ratios from
# 0.1x to 10x stay readable side by side).
chart_script() {
  cat <<GNUPLOT
$1
set output '$2'
set termoption noenhanced
set title "Server CPU time per operation / the baseline's (lower is better; log scale)"
set datafile separator '\t'
set datafile missing '-'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y
set yrange [0.05:20]
set ylabel "CPU per op / baseline"
set xtics rotate by -25 left font ",9"
set bmargin 9
set rmargin 20
set key top left
set grid ytics
set arrow from graph 0, first 1 to graph 1, first 1 nohead dashtype 2 linewidth 2
plot for [i=2:$4] '$3' using i:xtic(1) title columnheader(i)
GNUPLOT
}
