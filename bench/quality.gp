# Plots of the quality benchmark; run by bench/quality.sh as
#   gnuplot -e "dir='OUT_DIR'" bench/quality.gp
set datafile separator ','
set terminal pngcairo size 1400,900 font 'sans,10'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set key outside right top
set grid ytics

set output dir.'/recall-t31.png'
set title 'Recall at PDQ distance 31, by edit and matching mode'
set ylabel 'recall (%)'
set yrange [0:105]
set xtics rotate by -60 font 'sans,8'
modes = 'plain dihedral content regions standard robust'
plot for [m=1:6] '< awk -F, -v m='.word(modes,m).' ''$1==m && $5==31'' '.dir.'/recall.csv' \
  using ($8*100):xtic(3) title word(modes,m)

set output dir.'/crop-recall.png'
set title 'Recall of crops at distance 31 (centre: % of each dimension; side: % of one side)'
set style data linespoints
set xlabel 'crop (%)'
set xtics rotate by 0 font 'sans,10'
plot for [m=1:6] '< awk -F, -v m='.word(modes,m).' ''$1==m && $5==31 && $2=="crop-centre"'' '.dir.'/recall.csv' \
       using 4:($8*100) title word(modes,m).' centre', \
     for [m=1:6] '< awk -F, -v m='.word(modes,m).' ''$1==m && $5==31 && $2=="crop-side"'' '.dir.'/recall.csv' \
       using 4:($8*100) dashtype 2 title word(modes,m).' side'

set output dir.'/fmr.png'
set title 'False matches per ordered pair of distinct images (solid: all pairs; dashed: tiles of different photos)'
set xlabel 'PDQ distance threshold'
set ylabel 'false-match rate (0 drawn at 1e-8)'
set logscale y
set yrange [1e-8:1e-3]
set xrange [14:42]
plot for [m=1:6] '< awk -F, -v m='.word(modes,m).' ''$1=="all" && $2==m'' '.dir.'/fmr.csv' \
       using 3:($7 > 0 ? $7 : 1e-8) linecolor m title word(modes,m), \
     for [m=1:6] '< awk -F, -v m='.word(modes,m).' ''$1=="cross-photo" && $2==m'' '.dir.'/fmr.csv' \
       using 3:($7 > 0 ? $7 : 1e-8) linecolor m dashtype 2 notitle
