// SPDX-License-Identifier: GPL-2.0
// Alloc.java: the JVM trace's workload (java -Xmx512m Alloc.java): objects
// allocated in a loop, a sliding window of 200k of them kept live (so
// young collections promote some), a map rebuilt every round.
import java.util.*;

public class Alloc {
	public static void main(String[] args) {
		int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 40;
		Random r = new Random(3);
		Object[] window = new Object[200000];
		long sum = 0;
		for (int round = 0; round < rounds; round++) {
			HashMap<Integer, int[]> m = new HashMap<>();
			for (int i = 0; i < 200000; i++) {
				int[] a = new int[8 + r.nextInt(64)];
				a[0] = i;
				window[(round * 200000 + i) % window.length] = a;
				if ((i & 3) == 0)
					m.put(i, a);
				sum += a.length;
			}
			StringBuilder sb = new StringBuilder();
			for (int i = 0; i < 50000; i++)
				sb.append(i).append(',');
			sum += sb.length() + m.size();
		}
		System.out.println(sum);
	}
}
